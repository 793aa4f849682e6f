/*
 * exitcodes — the one table of exit codes every polus tool uses, so a script can treat
 * `polus-mkpatch`, `polus-apply` and `polus-status` alike: 2 always means "this patch or
 * build does not fit", 3 always "not now, retry", 4 always "a bug or a broken system".
 * PX_HELP_TEXT is the table as the tools' --help prints it.
 */
#ifndef POLUS_EXITCODES_H
#define POLUS_EXITCODES_H

enum polus_exit {
	PX_OK = 0,	 /* done */
	PX_INPUT = 1,	 /* usage, a missing or corrupt file, no such process */
	PX_NOTAPPLY = 2, /* the builds or the patch do not fit this target; a change polus
			    cannot carry */
	PX_UNSAFE = 3,	 /* unsafe right now or transient (a thread inside a patch site):
			    try again later */
	PX_INTERNAL = 4, /* internal error, a failing compiler or linker, a system refusal */
	PX_SOME = 5,	 /* polus-apply --all/--tree/--store: some processes were updated (or
			    already were), some not; each is named. When none was, the exit is
			    the first failure's own code */
};

#define PX_HELP_TEXT                                                                               \
	"exit: 0 ok, 1 usage or bad input, 2 does not apply (incompatible builds, a patch\n"       \
	"      for another build, an unsupported change), 3 unsafe now (retry), 4 internal\n"      \
	"      error, 5 only some processes updated (--all, --tree, --store)\n"

#endif
