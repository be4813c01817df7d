# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_prt_global_optspecs
    string join \n h/help V/version
end

function __fish_prt_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_prt_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_prt_using_subcommand
    set -l cmd (__fish_prt_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c prt -n "__fish_prt_needs_command" -s h -l help -d 'Print help'
complete -c prt -n "__fish_prt_needs_command" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_needs_command" -f -a "scan" -d 'One snapshot of every TCP and UDP socket with its owning process'
complete -c prt -n "__fish_prt_needs_command" -f -a "filter" -d 'Keep the records that match an expression, like grep for port records'
complete -c prt -n "__fish_prt_needs_command" -f -a "watch" -d 'Scan every interval and report what changed: a live table, or an NDJSON changelog'
complete -c prt -n "__fish_prt_needs_command" -f -a "alert" -d 'Evaluate alert rules over records: pass on what fired, ring, or run a command'
complete -c prt -n "__fish_prt_needs_command" -f -a "kill" -d 'Signal the processes that hold ports (records on stdin, PIDs or :PORT), safely'
complete -c prt -n "__fish_prt_needs_command" -f -a "fw" -d 'Turn records into firewall commands that block their addresses or ports'
complete -c prt -n "__fish_prt_needs_command" -f -a "detail" -d 'Everything about the processes behind records or PIDs: files, parents, cgroup, env'
complete -c prt -n "__fish_prt_needs_command" -f -a "metrics" -d 'Turn records into Prometheus metrics: a textfile for node_exporter, or /metrics'
complete -c prt -n "__fish_prt_needs_command" -f -a "config" -d 'Show where the configuration file is, or check one'
complete -c prt -n "__fish_prt_needs_command" -f -a "completions" -d 'Print the shell completion script for prt'
complete -c prt -n "__fish_prt_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prt -n "__fish_prt_using_subcommand scan" -l backend -d 'Where the socket list comes from: netlink (falls back to proc by itself), proc, or lsof (the macOS backend; only sockets a process holds) [default: netlink on Linux, lsof on macOS]' -r -f -a "netlink\t'Netlink sock_diag, like ss'
proc\t'/proc/net/{tcp,tcp6,udp,udp6}'
lsof\t'lsof -F and one ps call'"
complete -c prt -n "__fish_prt_using_subcommand scan" -l where -d 'Only the sockets that match this filter expression (see `prt filter --help`)' -r
complete -c prt -n "__fish_prt_using_subcommand scan" -l sort -d 'Sort by this column (unknown values last) [default: port]' -r -f -a "port\t'Local port, then protocol and addresses'
proto\t'Protocol, then port'
state\t'State, then port'
pid\t'Pid (unknown last), then port'
process\t'Process name (unknown last), then port'
user\t'User name (unknown last), then port'
service\t'Service name (unknown last), then port'"
complete -c prt -n "__fish_prt_using_subcommand scan" -l format -d 'Output format [default: table on a terminal (or the configuration\'s format there), ndjson otherwise]' -r -f -a "table\t'Aligned columns for people (the default on a terminal)'
ndjson\t'One JSON object per line (the default in a pipe)'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c prt -n "__fish_prt_using_subcommand scan" -l color -d 'When to colour the table [default: auto]' -r -f -a "auto\t'Colour when writing a table to a terminal, unless NO_COLOR is set'
always\t'Always colour (also CLICOLOR_FORCE=1)'
never\t'Never colour'"
complete -c prt -n "__fish_prt_using_subcommand scan" -l host -d 'Add a "host" field to every NDJSON record: NAME, or this machine\'s hostname when NAME is left out. Without it records are unchanged' -r
complete -c prt -n "__fish_prt_using_subcommand scan" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand scan" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand scan" -s t -l tcp -d 'Only TCP sockets (with --udp: both)'
complete -c prt -n "__fish_prt_using_subcommand scan" -s u -l udp -d 'Only UDP sockets (with --tcp: both)'
complete -c prt -n "__fish_prt_using_subcommand scan" -s l -l listen -d 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)'
complete -c prt -n "__fish_prt_using_subcommand scan" -s 4 -l ipv4 -d 'Only IPv4 sockets (with -6: both)'
complete -c prt -n "__fish_prt_using_subcommand scan" -s 6 -l ipv6 -d 'Only IPv6 sockets (with -4: both)'
complete -c prt -n "__fish_prt_using_subcommand scan" -l all-netns -d 'Every network namespace on the machine (containers, `ip netns`), not only this one; entering another namespace needs root'
complete -c prt -n "__fish_prt_using_subcommand scan" -s n -l numeric -d 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names'
complete -c prt -n "__fish_prt_using_subcommand scan" -s p -l processes -d 'Accepted as in ss: prt always shows the owning processes'
complete -c prt -n "__fish_prt_using_subcommand scan" -s a -l all -d 'Accepted as in ss: every socket is prt\'s default (-l narrows to listeners)'
complete -c prt -n "__fish_prt_using_subcommand scan" -s r -l reverse -d 'Reverse the sort order'
complete -c prt -n "__fish_prt_using_subcommand scan" -l traffic -d 'TCP counters in every record: bytes_sent, bytes_received, retrans, rtt_us (null for UDP and sockets without them). The dump takes about 15% longer with them, so they are off unless asked'
complete -c prt -n "__fish_prt_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand scan" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand filter" -l format -d 'Output format [default: table on a terminal (or the configuration\'s format there), ndjson otherwise]' -r -f -a "table\t'Aligned columns for people (the default on a terminal)'
ndjson\t'One JSON object per line (the default in a pipe)'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c prt -n "__fish_prt_using_subcommand filter" -l color -d 'When to colour the table [default: auto]' -r -f -a "auto\t'Colour when writing a table to a terminal, unless NO_COLOR is set'
always\t'Always colour (also CLICOLOR_FORCE=1)'
never\t'Never colour'"
complete -c prt -n "__fish_prt_using_subcommand filter" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand filter" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand filter" -s v -l invert -d 'Keep the records that do not match'
complete -c prt -n "__fish_prt_using_subcommand filter" -s c -l count -d 'Print only the number of matching records'
complete -c prt -n "__fish_prt_using_subcommand filter" -s q -l quiet -d 'Print nothing; the exit status says whether anything matched'
complete -c prt -n "__fish_prt_using_subcommand filter" -l skip-invalid -d 'Report malformed lines on stderr and go on, instead of stopping with status 2'
complete -c prt -n "__fish_prt_using_subcommand filter" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand filter" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand watch" -l backend -d 'Where the socket list comes from: netlink (falls back to proc by itself), proc, or lsof (the macOS backend; only sockets a process holds) [default: netlink on Linux, lsof on macOS]' -r -f -a "netlink\t'Netlink sock_diag, like ss'
proc\t'/proc/net/{tcp,tcp6,udp,udp6}'
lsof\t'lsof -F and one ps call'"
complete -c prt -n "__fish_prt_using_subcommand watch" -s i -l interval -d 'Time between scans: 500ms, 2s, 1m [default: the configuration\'s interval, else 2s]' -r
complete -c prt -n "__fish_prt_using_subcommand watch" -s c -l count -d 'Stop after this many scans' -r
complete -c prt -n "__fish_prt_using_subcommand watch" -l where -d 'Only the sockets that match this filter expression (see `prt filter --help`)' -r
complete -c prt -n "__fish_prt_using_subcommand watch" -l by -d 'Traffic per process (sockets whose owner is hidden: per uid) or per remote address, busiest first: a live table on a terminal, one record per group per scan otherwise. Implies --traffic' -r -f -a "process\t'The owning process; sockets whose owner is hidden, by their uid'
remote\t'The remote address'"
complete -c prt -n "__fish_prt_using_subcommand watch" -l color -d 'When to colour the live table [default: auto]' -r -f -a "auto\t'Colour when writing a table to a terminal, unless NO_COLOR is set'
always\t'Always colour (also CLICOLOR_FORCE=1)'
never\t'Never colour'"
complete -c prt -n "__fish_prt_using_subcommand watch" -l host -d 'Add a "host" field to every NDJSON record: NAME, or this machine\'s hostname when NAME is left out. Without it records are unchanged' -r
complete -c prt -n "__fish_prt_using_subcommand watch" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand watch" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand watch" -s t -l tcp -d 'Only TCP sockets (with --udp: both)'
complete -c prt -n "__fish_prt_using_subcommand watch" -s u -l udp -d 'Only UDP sockets (with --tcp: both)'
complete -c prt -n "__fish_prt_using_subcommand watch" -s l -l listen -d 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)'
complete -c prt -n "__fish_prt_using_subcommand watch" -s 4 -l ipv4 -d 'Only IPv4 sockets (with -6: both)'
complete -c prt -n "__fish_prt_using_subcommand watch" -s 6 -l ipv6 -d 'Only IPv6 sockets (with -4: both)'
complete -c prt -n "__fish_prt_using_subcommand watch" -l all-netns -d 'Every network namespace on the machine (containers, `ip netns`), not only this one; entering another namespace needs root'
complete -c prt -n "__fish_prt_using_subcommand watch" -s n -l numeric -d 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names'
complete -c prt -n "__fish_prt_using_subcommand watch" -s p -l processes -d 'Accepted as in ss: prt always shows the owning processes'
complete -c prt -n "__fish_prt_using_subcommand watch" -s a -l all -d 'Accepted as in ss: every socket is prt\'s default (-l narrows to listeners)'
complete -c prt -n "__fish_prt_using_subcommand watch" -l ndjson -d 'Write the NDJSON changelog, even on a terminal'
complete -c prt -n "__fish_prt_using_subcommand watch" -l full -d 'In the changelog, every socket on every scan, not only changes'
complete -c prt -n "__fish_prt_using_subcommand watch" -l traffic -d 'TCP counters in every record (bytes_sent, bytes_received, retrans, rtt_us) and bytes per second since the previous scan (rate_sent, rate_received). On a terminal it shows the per-process view (--by process) unless --ndjson is given'
complete -c prt -n "__fish_prt_using_subcommand watch" -l no-events -d 'Scans only: no kernel event sources between them. Without this, on Linux, a socket closed between two scans is reported gone as it closes (socket destroy events, with its final byte counts), exited processes are forgotten at once (the proc connector), and as root each TCP connection and listener is reported new as it begins, with its process (the sock:inet_sock_set_state tracepoint); records then carry `source` ("scan" or "event")'
complete -c prt -n "__fish_prt_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand watch" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand alert" -l rules -d 'Rules from this TOML file (its alerts tables, as in the configuration file)' -r -F
complete -c prt -n "__fish_prt_using_subcommand alert" -l when -d 'One rule: a filter expression (see `prt filter --help`)' -r
complete -c prt -n "__fish_prt_using_subcommand alert" -l action -d 'The --when rule\'s action: bell (new sockets only) or highlight' -r
complete -c prt -n "__fish_prt_using_subcommand alert" -l name -d 'The --when rule\'s name [default: the expression]' -r
complete -c prt -n "__fish_prt_using_subcommand alert" -l exec -d 'Run CMD through the shell for each fired record, the record on its stdin' -r
complete -c prt -n "__fish_prt_using_subcommand alert" -l exec-jobs -d 'How many --exec commands may run at once' -r
complete -c prt -n "__fish_prt_using_subcommand alert" -l exec-timeout -d 'Kill an --exec command, and everything it started, when it runs longer than this (counted from its start, feeding it the record included)' -r
complete -c prt -n "__fish_prt_using_subcommand alert" -l format -d 'Output format [default: table on a terminal (or the configuration\'s format there), ndjson otherwise]' -r -f -a "table\t'Aligned columns for people (the default on a terminal)'
ndjson\t'One JSON object per line (the default in a pipe)'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c prt -n "__fish_prt_using_subcommand alert" -l color -d 'When to colour the table [default: auto]' -r -f -a "auto\t'Colour when writing a table to a terminal, unless NO_COLOR is set'
always\t'Always colour (also CLICOLOR_FORCE=1)'
never\t'Never colour'"
complete -c prt -n "__fish_prt_using_subcommand alert" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand alert" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand alert" -l pass -d 'Pass every record on, with `"alerts":[]` where no rule fired'
complete -c prt -n "__fish_prt_using_subcommand alert" -s q -l quiet -d 'Print no records; the exit status says whether any rule fired'
complete -c prt -n "__fish_prt_using_subcommand alert" -l skip-invalid -d 'Report malformed lines on stderr and go on, instead of stopping with status 2'
complete -c prt -n "__fish_prt_using_subcommand alert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand alert" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand kill" -s s -l signal -d 'The signal to send: a name (TERM, HUP, SIGKILL) or a number' -r
complete -c prt -n "__fish_prt_using_subcommand kill" -l escalate -d 'Wait this long after the signal, then send KILL to what is still alive' -r
complete -c prt -n "__fish_prt_using_subcommand kill" -l input -d 'Read records from this file instead of stdin (\'-\' is stdin)' -r -F
complete -c prt -n "__fish_prt_using_subcommand kill" -l format -d 'Output format [default: table on a terminal (or the configuration\'s format there), ndjson otherwise]' -r -f -a "table\t'Aligned columns for people (the default on a terminal)'
ndjson\t'One JSON object per line (the default in a pipe)'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c prt -n "__fish_prt_using_subcommand kill" -l color -d 'When to colour the table [default: auto]' -r -f -a "auto\t'Colour when writing a table to a terminal, unless NO_COLOR is set'
always\t'Always colour (also CLICOLOR_FORCE=1)'
never\t'Never colour'"
complete -c prt -n "__fish_prt_using_subcommand kill" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand kill" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand kill" -s n -l dry-run -d 'Check and list every target; signal nothing'
complete -c prt -n "__fish_prt_using_subcommand kill" -s y -l yes -d 'Do not ask for confirmation (needed without a terminal)'
complete -c prt -n "__fish_prt_using_subcommand kill" -l skip-invalid -d 'Report malformed lines and bad values on stderr and go on, instead of exit status 2'
complete -c prt -n "__fish_prt_using_subcommand kill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand kill" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand fw" -l backend -d 'The firewall [default: nft on Linux, pfctl on macOS]' -r -f -a "nft\t'nftables (the default on Linux)'
iptables\t'iptables, and ip6tables for IPv6'
pfctl\t'pf (the default on macOS)'"
complete -c prt -n "__fish_prt_using_subcommand fw" -l input -d 'Read records from this file instead of stdin (\'-\' is stdin)' -r -F
complete -c prt -n "__fish_prt_using_subcommand fw" -l format -d 'Output format [default: table on a terminal (or the configuration\'s format there), ndjson otherwise]' -r -f -a "table\t'Aligned columns for people (the default on a terminal)'
ndjson\t'One JSON object per line (the default in a pipe)'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c prt -n "__fish_prt_using_subcommand fw" -l color -d 'When to colour the table [default: auto]' -r -f -a "auto\t'Colour when writing a table to a terminal, unless NO_COLOR is set'
always\t'Always colour (also CLICOLOR_FORCE=1)'
never\t'Never colour'"
complete -c prt -n "__fish_prt_using_subcommand fw" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand fw" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand fw" -l local-port -d 'Block each record\'s local port (incoming) instead of its remote address'
complete -c prt -n "__fish_prt_using_subcommand fw" -l undo -d 'Give the commands that remove the blocks instead'
complete -c prt -n "__fish_prt_using_subcommand fw" -l reset -d 'Give the commands that remove everything prt added (reads no records)'
complete -c prt -n "__fish_prt_using_subcommand fw" -l apply -d 'Run the commands now (as root) and report each result, instead of printing a script'
complete -c prt -n "__fish_prt_using_subcommand fw" -l allow-private -d 'Also block this machine\'s own and private (RFC 1918, ULA, link-local) addresses'
complete -c prt -n "__fish_prt_using_subcommand fw" -l skip-invalid -d 'Report malformed lines and bad values on stderr and go on, instead of exit status 2'
complete -c prt -n "__fish_prt_using_subcommand fw" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand fw" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand detail" -l sample -d 'How long to measure CPU use over (0 skips it)' -r
complete -c prt -n "__fish_prt_using_subcommand detail" -l input -d 'Read records from this file instead of stdin (\'-\' is stdin)' -r -F
complete -c prt -n "__fish_prt_using_subcommand detail" -l format -d 'Output format [default: table on a terminal (or the configuration\'s format there), ndjson otherwise]' -r -f -a "table\t'Aligned columns for people (the default on a terminal)'
ndjson\t'One JSON object per line (the default in a pipe)'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c prt -n "__fish_prt_using_subcommand detail" -l color -d 'When to colour the table [default: auto]' -r -f -a "auto\t'Colour when writing a table to a terminal, unless NO_COLOR is set'
always\t'Always colour (also CLICOLOR_FORCE=1)'
never\t'Never colour'"
complete -c prt -n "__fish_prt_using_subcommand detail" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand detail" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand detail" -l files -d 'List every open file, not only count them'
complete -c prt -n "__fish_prt_using_subcommand detail" -l env-values -d 'Show environment variable values, not only names (they often hold secrets)'
complete -c prt -n "__fish_prt_using_subcommand detail" -l skip-invalid -d 'Report malformed lines and bad values on stderr and go on, instead of exit status 2'
complete -c prt -n "__fish_prt_using_subcommand detail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand detail" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand metrics" -s o -l output -d 'Write the metrics to FILE instead of stdout, atomically (a temporary file in the same directory, then renamed), rewritten after every complete scan of a live stream' -r -F
complete -c prt -n "__fish_prt_using_subcommand metrics" -s l -l listen -d 'Serve the latest complete scan at http://ADDR/metrics (e.g. 127.0.0.1:9977) instead of writing to stdout. When a live stream (prt watch) ends, so does the server; after finished input (prt scan) it goes on serving until stopped' -r
complete -c prt -n "__fish_prt_using_subcommand metrics" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand metrics" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand metrics" -l skip-invalid -d 'Report malformed lines on stderr and go on, instead of stopping with status 2'
complete -c prt -n "__fish_prt_using_subcommand metrics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand metrics" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand config" -l config -d 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]' -r -F
complete -c prt -n "__fish_prt_using_subcommand config" -l lang -d 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration\'s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change' -r -f -a "en\t'English'
ru\t'Русский'
zh\t'中文'"
complete -c prt -n "__fish_prt_using_subcommand config" -l path -d 'Print the path of the configuration file (the default)'
complete -c prt -n "__fish_prt_using_subcommand config" -l check -d 'Check the configuration file (or FILE), alert rules\' filter expressions included, and report the first error'
complete -c prt -n "__fish_prt_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand config" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prt -n "__fish_prt_using_subcommand completions" -s V -l version -d 'Print version'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "scan" -d 'One snapshot of every TCP and UDP socket with its owning process'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "filter" -d 'Keep the records that match an expression, like grep for port records'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "watch" -d 'Scan every interval and report what changed: a live table, or an NDJSON changelog'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "alert" -d 'Evaluate alert rules over records: pass on what fired, ring, or run a command'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "kill" -d 'Signal the processes that hold ports (records on stdin, PIDs or :PORT), safely'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "fw" -d 'Turn records into firewall commands that block their addresses or ports'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "detail" -d 'Everything about the processes behind records or PIDs: files, parents, cgroup, env'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "metrics" -d 'Turn records into Prometheus metrics: a textfile for node_exporter, or /metrics'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "config" -d 'Show where the configuration file is, or check one'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "completions" -d 'Print the shell completion script for prt'
complete -c prt -n "__fish_prt_using_subcommand help; and not __fish_seen_subcommand_from scan filter watch alert kill fw detail metrics config completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
