# __FILE__ and assert's file name differ between the trees: the hash sees past it
nothing()
