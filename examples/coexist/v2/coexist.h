/* coexist.h — the request line limit of examples/coexist (protocol in main.c). */
#ifndef EX_COEXIST_H
#define EX_COEXIST_H

#define LINE_MAX_LEN 256

#endif
