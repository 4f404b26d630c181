#!/usr/bin/env bash
# completion.bash -- bash completion for runner; `cmake --install` puts it
# in share/bash-completion/completions/runner (loaded on first use by the
# bash-completion package), or source it from ~/.bashrc.
#
# Commands come from `runner __complete commands` (the command table), a
# command's options from its own --help text, revision ids and branch
# labels from `runner __complete revisions`, which reads the plugins'
# metadata sections only: completing never runs plugin code, never builds
# and never connects to a database.

# shellcheck disable=SC2207  # COMPREPLY=($(compgen ...)) is the idiom
_runner() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local runner=${COMP_WORDS[0]}
    local cmd="" i w
    local globals=()

    # the command word, and the global options that change where plugins are
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            -c | --config | --dir | --sources | --models)
                globals+=("$w" "${COMP_WORDS[i + 1]}")
                i=$((i + 1))
                ;;
            --url | --version-table | --version-schema | --history-table)
                i=$((i + 1))
                ;;
            -*) ;;
            *)
                if [ -z "$cmd" ]; then
                    cmd=$w
                fi
                ;;
        esac
    done

    case $prev in
        -c | --config | --models | --targets)
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --dir | --sources | --version-path)
            COMPREPLY=($(compgen -d -- "$cur"))
            return
            ;;
        --shard | --schemas-from)
            return
            ;;
        --url | --version-table | --version-schema | --history-table | -m | --message | \
            --rev-id | --branch-label | --jobs | -j | --wait | --connect-timeout | \
            --statement-timeout | --lock-timeout | --lock-timeout-retries | --lock-wait | --lock-lease)
            return
            ;;
        --lock-mode)
            COMPREPLY=($(compgen -W "session table none" -- "$cur"))
            return
            ;;
        --head | --depends-on)
            COMPREPLY=($(compgen -W "$("$runner" "${globals[@]}" __complete revisions 2>/dev/null)" -- "$cur"))
            return
            ;;
    esac

    if [[ $cur == -* ]]; then
        local opts
        opts=$("$runner" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*')
        if [ -n "$cmd" ]; then
            opts+=" $("$runner" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*')"
        fi
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    if [ -z "$cmd" ]; then
        COMPREPLY=($(compgen -W "$("$runner" __complete commands 2>/dev/null)" -- "$cur"))
        return
    fi
    case $cmd in
        upgrade | downgrade | stamp | show | merge | history)
            COMPREPLY=($(compgen -W "$("$runner" "${globals[@]}" __complete revisions 2>/dev/null)" -- "$cur"))
            ;;
        cflags)
            COMPREPLY=($(compgen -f -X '!*.c' -- "$cur") $(compgen -d -- "$cur"))
            ;;
        init)
            COMPREPLY=($(compgen -d -- "$cur"))
            ;;
    esac
}
complete -F _runner runner
