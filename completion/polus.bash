# bash completion for the polus tools (installed as
# $PREFIX/share/bash-completion/completions/polus-*; `make install` links each name).

# PIDs of running processes, for the PID argument
_polus_pids() {
	COMPREPLY+=($(compgen -W "$(command ls /proc | command grep -E '^[0-9]+$')" -- "$1"))
}

_polus_apply() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} i npos=0
	COMPREPLY=()
	case $prev in
	--require-signature | --store) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--all) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--tree) _polus_pids "$cur"; return ;;
	--deadline | --wait | -w) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--quiet --json --check --no-log --no-wait --no-track --wait --require-signature --all --tree --store --deadline --version --help" -- "$cur"))
		return
	fi
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--require-signature | --store | --all | --tree | --deadline) i=$((i + 1)) ;;
		-*) ;;
		*) npos=$((npos + 1)) ;;
		esac
	done
	if [ $npos -eq 0 ]; then _polus_pids "$cur"; else COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") $(compgen -d -- "$cur")); fi
}

_polus_status() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	COMPREPLY=()
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--json --all --tree --version --help" -- "$cur"))
	else
		_polus_pids "$cur"
	fi
}

_polus_rollback() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case $prev in --to | --wait | -w) return ;; esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--all --to --wait --check --no-log --quiet --json --version --help" -- "$cur"))
	else
		_polus_pids "$cur"
	fi
}

_polus_mkpatch() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case $prev in
	-o | --output | --show | --store) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--exclude | --layout-ok) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--diff --json --line-only --allow-option-change -o --store --quiet --strict --exclude --include-churn --layout-ok --show --version --help" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

_polus_sign() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case $prev in
	--keys) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--key) COMPREPLY=($(compgen -f -X '!*.key' -- "$cur") $(compgen -d -- "$cur")); return ;;
	--keygen) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--keygen --key --verify --keys --seal --version --help" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") $(compgen -d -- "$cur"))
	fi
}

_polus_release() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "archive patch --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--into | --tree) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--name | --depth) return ;;
	--sign) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		case ${COMP_WORDS[1]} in
		archive) COMPREPLY=($(compgen -W "--into --name --tree" -- "$cur")) ;;
		patch) COMPREPLY=($(compgen -W "--into --depth --sign" -- "$cur")) ;;
		esac
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

complete -F _polus_apply polus-apply
complete -F _polus_status polus-status
complete -F _polus_rollback polus-rollback
complete -o filenames -F _polus_mkpatch polus-mkpatch
complete -o filenames -F _polus_sign polus-sign
complete -o filenames -F _polus_release polus-release
