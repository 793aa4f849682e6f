#define KNOB 9
