
use builtin;
use str;

set edit:completion:arg-completer[prt] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'prt'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'prt'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand scan 'One snapshot of every TCP and UDP socket with its owning process'
            cand filter 'Keep the records that match an expression, like grep for port records'
            cand watch 'Scan every interval and report what changed: a live table, or an NDJSON changelog'
            cand alert 'Evaluate alert rules over records: pass on what fired, ring, or run a command'
            cand kill 'Signal the processes that hold ports (records on stdin, PIDs or :PORT), safely'
            cand fw 'Turn records into firewall commands that block their addresses or ports'
            cand detail 'Everything about the processes behind records or PIDs: files, parents, cgroup, env'
            cand metrics 'Turn records into Prometheus metrics: a textfile for node_exporter, or /metrics'
            cand config 'Show where the configuration file is, or check one'
            cand completions 'Print the shell completion script for prt'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'prt;scan'= {
            cand --backend 'Where the socket list comes from: netlink (falls back to proc by itself), proc, or lsof (the macOS backend; only sockets a process holds) [default: netlink on Linux, lsof on macOS]'
            cand --where 'Only the sockets that match this filter expression (see `prt filter --help`)'
            cand --sort 'Sort by this column (unknown values last) [default: port]'
            cand --format 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]'
            cand --color 'When to colour the table [default: auto]'
            cand --host 'Add a "host" field to every NDJSON record: NAME, or this machine''s hostname when NAME is left out. Without it records are unchanged'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand -t 'Only TCP sockets (with --udp: both)'
            cand --tcp 'Only TCP sockets (with --udp: both)'
            cand -u 'Only UDP sockets (with --tcp: both)'
            cand --udp 'Only UDP sockets (with --tcp: both)'
            cand -l 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)'
            cand --listen 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)'
            cand -4 'Only IPv4 sockets (with -6: both)'
            cand --ipv4 'Only IPv4 sockets (with -6: both)'
            cand -6 'Only IPv6 sockets (with -4: both)'
            cand --ipv6 'Only IPv6 sockets (with -4: both)'
            cand --all-netns 'Every network namespace on the machine (containers, `ip netns`), not only this one; entering another namespace needs root'
            cand -n 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names'
            cand --numeric 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names'
            cand -p 'Accepted as in ss: prt always shows the owning processes'
            cand --processes 'Accepted as in ss: prt always shows the owning processes'
            cand -a 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)'
            cand --all 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)'
            cand -r 'Reverse the sort order'
            cand --reverse 'Reverse the sort order'
            cand --traffic 'TCP counters in every record: bytes_sent, bytes_received, retrans, rtt_us (null for UDP and sockets without them). The dump takes about 15% longer with them, so they are off unless asked'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;filter'= {
            cand --format 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]'
            cand --color 'When to colour the table [default: auto]'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand -v 'Keep the records that do not match'
            cand --invert 'Keep the records that do not match'
            cand -c 'Print only the number of matching records'
            cand --count 'Print only the number of matching records'
            cand -q 'Print nothing; the exit status says whether anything matched'
            cand --quiet 'Print nothing; the exit status says whether anything matched'
            cand --skip-invalid 'Report malformed lines on stderr and go on, instead of stopping with status 2'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;watch'= {
            cand --backend 'Where the socket list comes from: netlink (falls back to proc by itself), proc, or lsof (the macOS backend; only sockets a process holds) [default: netlink on Linux, lsof on macOS]'
            cand -i 'Time between scans: 500ms, 2s, 1m [default: the configuration''s interval, else 2s]'
            cand --interval 'Time between scans: 500ms, 2s, 1m [default: the configuration''s interval, else 2s]'
            cand -c 'Stop after this many scans'
            cand --count 'Stop after this many scans'
            cand --where 'Only the sockets that match this filter expression (see `prt filter --help`)'
            cand --by 'Traffic per process (sockets whose owner is hidden: per uid) or per remote address, busiest first: a live table on a terminal, one record per group per scan otherwise. Implies --traffic'
            cand --color 'When to colour the live table [default: auto]'
            cand --host 'Add a "host" field to every NDJSON record: NAME, or this machine''s hostname when NAME is left out. Without it records are unchanged'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand -t 'Only TCP sockets (with --udp: both)'
            cand --tcp 'Only TCP sockets (with --udp: both)'
            cand -u 'Only UDP sockets (with --tcp: both)'
            cand --udp 'Only UDP sockets (with --tcp: both)'
            cand -l 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)'
            cand --listen 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)'
            cand -4 'Only IPv4 sockets (with -6: both)'
            cand --ipv4 'Only IPv4 sockets (with -6: both)'
            cand -6 'Only IPv6 sockets (with -4: both)'
            cand --ipv6 'Only IPv6 sockets (with -4: both)'
            cand --all-netns 'Every network namespace on the machine (containers, `ip netns`), not only this one; entering another namespace needs root'
            cand -n 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names'
            cand --numeric 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names'
            cand -p 'Accepted as in ss: prt always shows the owning processes'
            cand --processes 'Accepted as in ss: prt always shows the owning processes'
            cand -a 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)'
            cand --all 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)'
            cand --ndjson 'Write the NDJSON changelog, even on a terminal'
            cand --full 'In the changelog, every socket on every scan, not only changes'
            cand --traffic 'TCP counters in every record (bytes_sent, bytes_received, retrans, rtt_us) and bytes per second since the previous scan (rate_sent, rate_received). On a terminal it shows the per-process view (--by process) unless --ndjson is given'
            cand --no-events 'Scans only: no kernel event sources between them. Without this, on Linux, a socket closed between two scans is reported gone as it closes (socket destroy events, with its final byte counts), exited processes are forgotten at once (the proc connector), and as root each TCP connection and listener is reported new as it begins, with its process (the sock:inet_sock_set_state tracepoint); records then carry `source` ("scan" or "event")'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;alert'= {
            cand --rules 'Rules from this TOML file (its alerts tables, as in the configuration file)'
            cand --when 'One rule: a filter expression (see `prt filter --help`)'
            cand --action 'The --when rule''s action: bell (new sockets only) or highlight'
            cand --name 'The --when rule''s name [default: the expression]'
            cand --exec 'Run CMD through the shell for each fired record, the record on its stdin'
            cand --exec-jobs 'How many --exec commands may run at once'
            cand --exec-timeout 'Kill an --exec command, and everything it started, when it runs longer than this (counted from its start, feeding it the record included)'
            cand --format 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]'
            cand --color 'When to colour the table [default: auto]'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand --pass 'Pass every record on, with `"alerts":[]` where no rule fired'
            cand -q 'Print no records; the exit status says whether any rule fired'
            cand --quiet 'Print no records; the exit status says whether any rule fired'
            cand --skip-invalid 'Report malformed lines on stderr and go on, instead of stopping with status 2'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;kill'= {
            cand -s 'The signal to send: a name (TERM, HUP, SIGKILL) or a number'
            cand --signal 'The signal to send: a name (TERM, HUP, SIGKILL) or a number'
            cand --escalate 'Wait this long after the signal, then send KILL to what is still alive'
            cand --input 'Read records from this file instead of stdin (''-'' is stdin)'
            cand --format 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]'
            cand --color 'When to colour the table [default: auto]'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand -n 'Check and list every target; signal nothing'
            cand --dry-run 'Check and list every target; signal nothing'
            cand -y 'Do not ask for confirmation (needed without a terminal)'
            cand --yes 'Do not ask for confirmation (needed without a terminal)'
            cand --skip-invalid 'Report malformed lines and bad values on stderr and go on, instead of exit status 2'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;fw'= {
            cand --backend 'The firewall [default: nft on Linux, pfctl on macOS]'
            cand --input 'Read records from this file instead of stdin (''-'' is stdin)'
            cand --format 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]'
            cand --color 'When to colour the table [default: auto]'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand --local-port 'Block each record''s local port (incoming) instead of its remote address'
            cand --undo 'Give the commands that remove the blocks instead'
            cand --reset 'Give the commands that remove everything prt added (reads no records)'
            cand --apply 'Run the commands now (as root) and report each result, instead of printing a script'
            cand --allow-private 'Also block this machine''s own and private (RFC 1918, ULA, link-local) addresses'
            cand --skip-invalid 'Report malformed lines and bad values on stderr and go on, instead of exit status 2'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;detail'= {
            cand --sample 'How long to measure CPU use over (0 skips it)'
            cand --input 'Read records from this file instead of stdin (''-'' is stdin)'
            cand --format 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]'
            cand --color 'When to colour the table [default: auto]'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand --files 'List every open file, not only count them'
            cand --env-values 'Show environment variable values, not only names (they often hold secrets)'
            cand --skip-invalid 'Report malformed lines and bad values on stderr and go on, instead of exit status 2'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;metrics'= {
            cand -o 'Write the metrics to FILE instead of stdout, atomically (a temporary file in the same directory, then renamed), rewritten after every complete scan of a live stream'
            cand --output 'Write the metrics to FILE instead of stdout, atomically (a temporary file in the same directory, then renamed), rewritten after every complete scan of a live stream'
            cand -l 'Serve the latest complete scan at http://ADDR/metrics (e.g. 127.0.0.1:9977) instead of writing to stdout. When a live stream (prt watch) ends, so does the server; after finished input (prt scan) it goes on serving until stopped'
            cand --listen 'Serve the latest complete scan at http://ADDR/metrics (e.g. 127.0.0.1:9977) instead of writing to stdout. When a live stream (prt watch) ends, so does the server; after finished input (prt scan) it goes on serving until stopped'
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand --skip-invalid 'Report malformed lines on stderr and go on, instead of stopping with status 2'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;config'= {
            cand --config 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]'
            cand --lang 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change'
            cand --path 'Print the path of the configuration file (the default)'
            cand --check 'Check the configuration file (or FILE), alert rules'' filter expressions included, and report the first error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;completions'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'prt;help'= {
            cand scan 'One snapshot of every TCP and UDP socket with its owning process'
            cand filter 'Keep the records that match an expression, like grep for port records'
            cand watch 'Scan every interval and report what changed: a live table, or an NDJSON changelog'
            cand alert 'Evaluate alert rules over records: pass on what fired, ring, or run a command'
            cand kill 'Signal the processes that hold ports (records on stdin, PIDs or :PORT), safely'
            cand fw 'Turn records into firewall commands that block their addresses or ports'
            cand detail 'Everything about the processes behind records or PIDs: files, parents, cgroup, env'
            cand metrics 'Turn records into Prometheus metrics: a textfile for node_exporter, or /metrics'
            cand config 'Show where the configuration file is, or check one'
            cand completions 'Print the shell completion script for prt'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'prt;help;scan'= {
        }
        &'prt;help;filter'= {
        }
        &'prt;help;watch'= {
        }
        &'prt;help;alert'= {
        }
        &'prt;help;kill'= {
        }
        &'prt;help;fw'= {
        }
        &'prt;help;detail'= {
        }
        &'prt;help;metrics'= {
        }
        &'prt;help;config'= {
        }
        &'prt;help;completions'= {
        }
        &'prt;help;help'= {
        }
    ]
    $completions[$command]
}
