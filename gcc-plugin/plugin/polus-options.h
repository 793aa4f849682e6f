/* polus-options.h — the options and environment of a unit's compile, for its record.
 *
 * polus_write_options() appends the record's `opt`, `optsrc`, `cc1opt` and `env` lines
 * (docs/metadata.md): every driver option that shapes the code, those the driver passes
 * through to the preprocessor and assembler (-Wp, -Xpreprocessor, -Wa, -Xassembler)
 * included, so polus-mkpatch can compile the unit again exactly as it was built. */
#ifndef POLUS_OPTIONS_H
#define POLUS_OPTIONS_H

struct pbuf;
void polus_write_options(struct pbuf *b);

#endif
