/* polus-common.h — every GCC header the plugin needs, in the order GCC wants them.
 *
 * gcc-plugin.h must come first (it sets up config.h/system.h, which poison malloc,
 * strdup and friends: use xmalloc, xstrdup, %m). Version quirks live here only. */
#ifndef POLUS_COMMON_H
#define POLUS_COMMON_H

#include "gcc-plugin.h"
#include "tree.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "gimple-walk.h"
#include "cgraph.h"
#include "varasm.h"
#include "stringpool.h"
#include "attribs.h"
#include "options.h"
#include "opts.h"
#include "flags.h"
#include "toplev.h"
#include "diagnostic-core.h"
#include "output.h"
#include "real.h"
#include "langhooks.h"
#include "tree-iterator.h"
#include "stor-layout.h"
#include "hash-map.h"
#include "hash-set.h"

#endif
