
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'prt' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'prt'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'prt' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'One snapshot of every TCP and UDP socket with its owning process')
            [CompletionResult]::new('filter', 'filter', [CompletionResultType]::ParameterValue, 'Keep the records that match an expression, like grep for port records')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Scan every interval and report what changed: a live table, or an NDJSON changelog')
            [CompletionResult]::new('alert', 'alert', [CompletionResultType]::ParameterValue, 'Evaluate alert rules over records: pass on what fired, ring, or run a command')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Signal the processes that hold ports (records on stdin, PIDs or :PORT), safely')
            [CompletionResult]::new('fw', 'fw', [CompletionResultType]::ParameterValue, 'Turn records into firewall commands that block their addresses or ports')
            [CompletionResult]::new('detail', 'detail', [CompletionResultType]::ParameterValue, 'Everything about the processes behind records or PIDs: files, parents, cgroup, env')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Turn records into Prometheus metrics: a textfile for node_exporter, or /metrics')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show where the configuration file is, or check one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for prt')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'prt;scan' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Where the socket list comes from: netlink (falls back to proc by itself), proc, or lsof (the macOS backend; only sockets a process holds) [default: netlink on Linux, lsof on macOS]')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only the sockets that match this filter expression (see `prt filter --help`)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Sort by this column (unknown values last) [default: port]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table [default: auto]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Add a "host" field to every NDJSON record: NAME, or this machine''s hostname when NAME is left out. Without it records are unchanged')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Only TCP sockets (with --udp: both)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Only TCP sockets (with --udp: both)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Only UDP sockets (with --tcp: both)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Only UDP sockets (with --tcp: both)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Only IPv4 sockets (with -6: both)')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Only IPv4 sockets (with -6: both)')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Only IPv6 sockets (with -4: both)')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Only IPv6 sockets (with -4: both)')
            [CompletionResult]::new('--all-netns', '--all-netns', [CompletionResultType]::ParameterName, 'Every network namespace on the machine (containers, `ip netns`), not only this one; entering another namespace needs root')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names')
            [CompletionResult]::new('--numeric', '--numeric', [CompletionResultType]::ParameterName, 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Accepted as in ss: prt always shows the owning processes')
            [CompletionResult]::new('--processes', '--processes', [CompletionResultType]::ParameterName, 'Accepted as in ss: prt always shows the owning processes')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Reverse the sort order')
            [CompletionResult]::new('--reverse', '--reverse', [CompletionResultType]::ParameterName, 'Reverse the sort order')
            [CompletionResult]::new('--traffic', '--traffic', [CompletionResultType]::ParameterName, 'TCP counters in every record: bytes_sent, bytes_received, retrans, rtt_us (null for UDP and sockets without them). The dump takes about 15% longer with them, so they are off unless asked')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;filter' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table [default: auto]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Keep the records that do not match')
            [CompletionResult]::new('--invert', '--invert', [CompletionResultType]::ParameterName, 'Keep the records that do not match')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Print only the number of matching records')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Print only the number of matching records')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing; the exit status says whether anything matched')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing; the exit status says whether anything matched')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Report malformed lines on stderr and go on, instead of stopping with status 2')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;watch' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Where the socket list comes from: netlink (falls back to proc by itself), proc, or lsof (the macOS backend; only sockets a process holds) [default: netlink on Linux, lsof on macOS]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between scans: 500ms, 2s, 1m [default: the configuration''s interval, else 2s]')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between scans: 500ms, 2s, 1m [default: the configuration''s interval, else 2s]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Stop after this many scans')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after this many scans')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only the sockets that match this filter expression (see `prt filter --help`)')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Traffic per process (sockets whose owner is hidden: per uid) or per remote address, busiest first: a live table on a terminal, one record per group per scan otherwise. Implies --traffic')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the live table [default: auto]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Add a "host" field to every NDJSON record: NAME, or this machine''s hostname when NAME is left out. Without it records are unchanged')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Only TCP sockets (with --udp: both)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Only TCP sockets (with --udp: both)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Only UDP sockets (with --tcp: both)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Only UDP sockets (with --tcp: both)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Only IPv4 sockets (with -6: both)')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Only IPv4 sockets (with -6: both)')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Only IPv6 sockets (with -4: both)')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Only IPv6 sockets (with -4: both)')
            [CompletionResult]::new('--all-netns', '--all-netns', [CompletionResultType]::ParameterName, 'Every network namespace on the machine (containers, `ip netns`), not only this one; entering another namespace needs root')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names')
            [CompletionResult]::new('--numeric', '--numeric', [CompletionResultType]::ParameterName, 'Accepted as in ss, so `-tlnp` works as typed: prt never resolves names')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Accepted as in ss: prt always shows the owning processes')
            [CompletionResult]::new('--processes', '--processes', [CompletionResultType]::ParameterName, 'Accepted as in ss: prt always shows the owning processes')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Accepted as in ss: every socket is prt''s default (-l narrows to listeners)')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Write the NDJSON changelog, even on a terminal')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'In the changelog, every socket on every scan, not only changes')
            [CompletionResult]::new('--traffic', '--traffic', [CompletionResultType]::ParameterName, 'TCP counters in every record (bytes_sent, bytes_received, retrans, rtt_us) and bytes per second since the previous scan (rate_sent, rate_received). On a terminal it shows the per-process view (--by process) unless --ndjson is given')
            [CompletionResult]::new('--no-events', '--no-events', [CompletionResultType]::ParameterName, 'Scans only: no kernel event sources between them. Without this, on Linux, a socket closed between two scans is reported gone as it closes (socket destroy events, with its final byte counts), exited processes are forgotten at once (the proc connector), and as root each TCP connection and listener is reported new as it begins, with its process (the sock:inet_sock_set_state tracepoint); records then carry `source` ("scan" or "event")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;alert' {
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules from this TOML file (its alerts tables, as in the configuration file)')
            [CompletionResult]::new('--when', '--when', [CompletionResultType]::ParameterName, 'One rule: a filter expression (see `prt filter --help`)')
            [CompletionResult]::new('--action', '--action', [CompletionResultType]::ParameterName, 'The --when rule''s action: bell (new sockets only) or highlight')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The --when rule''s name [default: the expression]')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Run CMD through the shell for each fired record, the record on its stdin')
            [CompletionResult]::new('--exec-jobs', '--exec-jobs', [CompletionResultType]::ParameterName, 'How many --exec commands may run at once')
            [CompletionResult]::new('--exec-timeout', '--exec-timeout', [CompletionResultType]::ParameterName, 'Kill an --exec command, and everything it started, when it runs longer than this (counted from its start, feeding it the record included)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table [default: auto]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('--pass', '--pass', [CompletionResultType]::ParameterName, 'Pass every record on, with `"alerts":[]` where no rule fired')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no records; the exit status says whether any rule fired')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no records; the exit status says whether any rule fired')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Report malformed lines on stderr and go on, instead of stopping with status 2')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;kill' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The signal to send: a name (TERM, HUP, SIGKILL) or a number')
            [CompletionResult]::new('--signal', '--signal', [CompletionResultType]::ParameterName, 'The signal to send: a name (TERM, HUP, SIGKILL) or a number')
            [CompletionResult]::new('--escalate', '--escalate', [CompletionResultType]::ParameterName, 'Wait this long after the signal, then send KILL to what is still alive')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Read records from this file instead of stdin (''-'' is stdin)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table [default: auto]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Check and list every target; signal nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check and list every target; signal nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Report malformed lines and bad values on stderr and go on, instead of exit status 2')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;fw' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The firewall [default: nft on Linux, pfctl on macOS]')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Read records from this file instead of stdin (''-'' is stdin)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table [default: auto]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('--local-port', '--local-port', [CompletionResultType]::ParameterName, 'Block each record''s local port (incoming) instead of its remote address')
            [CompletionResult]::new('--undo', '--undo', [CompletionResultType]::ParameterName, 'Give the commands that remove the blocks instead')
            [CompletionResult]::new('--reset', '--reset', [CompletionResultType]::ParameterName, 'Give the commands that remove everything prt added (reads no records)')
            [CompletionResult]::new('--apply', '--apply', [CompletionResultType]::ParameterName, 'Run the commands now (as root) and report each result, instead of printing a script')
            [CompletionResult]::new('--allow-private', '--allow-private', [CompletionResultType]::ParameterName, 'Also block this machine''s own and private (RFC 1918, ULA, link-local) addresses')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Report malformed lines and bad values on stderr and go on, instead of exit status 2')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;detail' {
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'How long to measure CPU use over (0 skips it)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Read records from this file instead of stdin (''-'' is stdin)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (or the configuration''s format there), ndjson otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table [default: auto]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('--files', '--files', [CompletionResultType]::ParameterName, 'List every open file, not only count them')
            [CompletionResult]::new('--env-values', '--env-values', [CompletionResultType]::ParameterName, 'Show environment variable values, not only names (they often hold secrets)')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Report malformed lines and bad values on stderr and go on, instead of exit status 2')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;metrics' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the metrics to FILE instead of stdout, atomically (a temporary file in the same directory, then renamed), rewritten after every complete scan of a live stream')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the metrics to FILE instead of stdout, atomically (a temporary file in the same directory, then renamed), rewritten after every complete scan of a live stream')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Serve the latest complete scan at http://ADDR/metrics (e.g. 127.0.0.1:9977) instead of writing to stdout. When a live stream (prt watch) ends, so does the server; after finished input (prt scan) it goes on serving until stopped')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Serve the latest complete scan at http://ADDR/metrics (e.g. 127.0.0.1:9977) instead of writing to stdout. When a live stream (prt watch) ends, so does the server; after finished input (prt scan) it goes on serving until stopped')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Report malformed lines on stderr and go on, instead of stopping with status 2')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;config' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE [default: $PRT_CONFIG, else $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml]')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the configuration''s `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Print the path of the configuration file (the default)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check the configuration file (or FILE), alert rules'' filter expressions included, and report the first error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'prt;help' {
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'One snapshot of every TCP and UDP socket with its owning process')
            [CompletionResult]::new('filter', 'filter', [CompletionResultType]::ParameterValue, 'Keep the records that match an expression, like grep for port records')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Scan every interval and report what changed: a live table, or an NDJSON changelog')
            [CompletionResult]::new('alert', 'alert', [CompletionResultType]::ParameterValue, 'Evaluate alert rules over records: pass on what fired, ring, or run a command')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Signal the processes that hold ports (records on stdin, PIDs or :PORT), safely')
            [CompletionResult]::new('fw', 'fw', [CompletionResultType]::ParameterValue, 'Turn records into firewall commands that block their addresses or ports')
            [CompletionResult]::new('detail', 'detail', [CompletionResultType]::ParameterValue, 'Everything about the processes behind records or PIDs: files, parents, cgroup, env')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Turn records into Prometheus metrics: a textfile for node_exporter, or /metrics')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show where the configuration file is, or check one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for prt')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'prt;help;scan' {
            break
        }
        'prt;help;filter' {
            break
        }
        'prt;help;watch' {
            break
        }
        'prt;help;alert' {
            break
        }
        'prt;help;kill' {
            break
        }
        'prt;help;fw' {
            break
        }
        'prt;help;detail' {
            break
        }
        'prt;help;metrics' {
            break
        }
        'prt;help;config' {
            break
        }
        'prt;help;completions' {
            break
        }
        'prt;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
