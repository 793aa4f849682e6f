#define KNOB 7
