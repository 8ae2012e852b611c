# shellcheck shell=bash
# Scenario selection and result lines, shared by tests/vm/run.sh and
# tests/xen/run.sh (sourced; the caller defines die).

# select_scenarios DIR PATTERNS: scenarios=() the names of DIR/NAME.sh for
# each of the space-separated PATTERNS (names, .sh optional, or globs), in
# order. A missing name or no match at all is fatal.
select_scenarios() {
	local dir=$1 s f
	scenarios=()
	for s in $2; do
		s=${s%.sh}
		if [[ $s == *[*?]* ]]; then
			for f in "$dir"/$s.sh; do
				[[ -f $f ]] && scenarios+=("$(basename "$f" .sh)")
			done
		else
			[[ -f $dir/$s.sh ]] || die "no scenario $dir/$s.sh"
			scenarios+=("$s")
		fi
	done
	((${#scenarios[@]})) || die "no scenario matches '$2'"
}

npass=0 nfail=0 nskip=0
# report STATUS TAG NAME [REASON]: "STATUS [TAG] NAME: REASON", counted
report() {
	case $1 in
	PASS) npass=$((npass + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	*) nfail=$((nfail + 1)) ;;
	esac
	echo "$1 [$2] $3${4:+: $4}"
}
