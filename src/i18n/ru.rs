//! Русский.

use super::Msg;

/// The Russian text of `msg`.
// One line per key reads better than merged arms, and a table is as long as it is.
#[allow(clippy::match_same_arms, clippy::too_many_lines)]
pub(super) fn text(msg: Msg) -> &'static str {
    match msg {
        Msg::HeadProto => "ПРОТОКОЛ",
        Msg::HeadLocal => "ЛОКАЛЬНЫЙ",
        Msg::HeadRemote => "УДАЛЁННЫЙ",
        Msg::HeadState => "СОСТОЯНИЕ",
        Msg::HeadPid => "PID",
        Msg::HeadProcess => "ПРОЦЕСС",
        Msg::HeadUser => "ПОЛЬЗОВАТЕЛЬ",
        Msg::HeadService => "СЛУЖБА",
        Msg::HeadAge => "ВОЗРАСТ",
        Msg::HeadNetns => "NETNS",
        Msg::HeadPorts => "ПОРТЫ",
        Msg::HeadSignal => "СИГНАЛ",
        Msg::HeadOutcome => "ИТОГ",
        Msg::HeadMessage => "СООБЩЕНИЕ",
        Msg::HeadAction => "ДЕЙСТВИЕ",
        Msg::HeadTarget => "ЦЕЛЬ",
        Msg::HeadCommand => "КОМАНДА",
        Msg::WatchHeader => {
            "prt watch  {0}  скан {1}  сокетов: {2}, новых: {3}, закрытых: {4}{5}  каждые {6}"
        }
        Msg::HeadMark => "±",
        Msg::MoreRows => "ещё {0}",
        Msg::WatchTraffic => "  приём {0}  передача {1}",
        Msg::Up => "ЕСТЬ",
        Msg::Down => "НЕТ",
        Msg::Since => "уже {0}",
        Msg::Signalled => "сигнал послан",
        Msg::Exited => "завершился",
        Msg::Killed => "убит",
        Msg::NotPermitted => "нет прав",
        Msg::Gone => "исчез",
        Msg::Refused => "отказано",
        Msg::SkippedDryRun => "пробный запуск",
        Msg::StillHeld => "всё ещё занят",
        Msg::Applied => "применено",
        Msg::Unchanged => "без изменений",
        Msg::Failed => "ошибка",
        Msg::ActionBlock => "блокировать",
        Msg::ActionUnblock => "разблокировать",
        Msg::ActionSetup => "подготовка",
        Msg::ActionReset => "сброс",
        Msg::LabelPid => "pid",
        Msg::LabelProcess => "процесс",
        Msg::LabelExe => "программа",
        Msg::LabelCmdline => "команда",
        Msg::LabelCwd => "каталог",
        Msg::LabelUser => "пользователь",
        Msg::LabelParents => "родители",
        Msg::LabelStarted => "запущен",
        Msg::LabelState => "состояние",
        Msg::LabelCpu => "ЦП",
        Msg::LabelRss => "память",
        Msg::LabelThreads => "потоки",
        Msg::LabelOpenFiles => "открытые файлы",
        Msg::LabelSockets => "сокеты",
        Msg::LabelCgroup => "cgroup",
        Msg::LabelContainer => "контейнер",
        Msg::LabelUnit => "юнит systemd",
        Msg::LabelEnvironment => "окружение",
        Msg::LabelNotes => "примечания",
        Msg::Uptime => "{0} (работает {1})",
        Msg::FilesHint => "{0} (список: --files)",
        Msg::AlsoHeldBy => "также у {0}",
        Msg::Deleted => "{0} (удалён)",
        Msg::AskOne => "Послать {0} этому процессу?",
        Msg::AskMany => "Послать {0} этим процессам ({1})?",
        Msg::AskOneEscalate => "Послать {0} этому процессу, а через {2} KILL, если он ещё жив?",
        Msg::AskManyEscalate => {
            "Послать {0} этим процессам ({1}), а через {2} KILL тем, что ещё живы?"
        }
        Msg::YesNo => "[y/N]",
        Msg::NotConfirmed => "не подтверждено",
        Msg::NoTerminal => "не подтверждено: нет терминала, чтобы спросить (укажите --yes)",
        Msg::NoTerminalNote => "нет терминала для подтверждения: в скрипте укажите --yes",
        Msg::NothingToSignal => "некому посылать сигнал",
        Msg::NothingToBlock => "нечего блокировать",
        Msg::NothingListens => "на {0} никто не слушает",
        Msg::NoPid => "{0}: {1}: нет pid: {2}",
        Msg::SkippedLine => "пропущено: {0}",
        Msg::NoRules => {
            "нет правил (--when, --rules или [[alerts]] в конфигурации): срабатывать нечему"
        }
        Msg::NoTargets => {
            "нет целей: укажите PID или :PORT аргументами или подайте записи на вход (prt scan | prt filter ... | {0})"
        }
        Msg::NoBlockTargets => {
            "нечего блокировать: укажите адреса аргументами или подайте записи на вход (prt scan | prt filter ... | {0})"
        }
        Msg::NetnsDenied => {
            "сетевых пространств имён, куда можно войти только root'у и которые не показаны: {0}; `sudo` покажет их"
        }
        Msg::NetnsUnreadable => {
            "пространства имён процессов других пользователей ({0}) без root не прочесть; показаны только видимые"
        }
        Msg::HiddenOwners => {
            "сокетов чужих процессов без pid: {0}; `sudo prt scan` покажет их владельцев"
        }
        Msg::FellBack => "netlink не смог перечислить сокеты {0} {1}; они прочитаны из /proc/net",
        Msg::JsonEmptyLine => "ожидался объект JSON, а строка пуста",
        Msg::JsonNotObject => "ожидался объект JSON",
        Msg::JsonFieldName => "ожидалось имя поля в двойных кавычках",
        Msg::JsonColon => "после имени поля ожидалось ':'",
        Msg::JsonAfterMember => "после значения ожидалось ',' или '}'",
        Msg::JsonAfterElement => "после элемента массива ожидалось ',' или ']'",
        Msg::JsonValue => "ожидалось значение",
        Msg::JsonEndInValue => "строка оборвалась, ожидалось значение",
        Msg::JsonNumber => "испорченное число",
        Msg::JsonEscape => "испорченная escape-последовательность в строке",
        Msg::JsonUnicodeEscape => "испорченная последовательность \\u",
        Msg::JsonControl => "управляющий символ в строке",
        Msg::JsonUnterminated => "незакрытая строка",
        Msg::JsonTrailing => "лишний текст после объекта",
        Msg::JsonTooDeep => "слишком глубокая вложенность",
        Msg::JsonUtf8 => "неверный UTF-8",
        Msg::JsonTooLong => "строка длиннее 4 ГиБ",
        Msg::AtColumn => "{0} (столбец {1})",
        Msg::AtLine => "{0}строка {1}: {2}",
        Msg::CannotOpen => "не удалось открыть {0}: {1}",
        Msg::CannotRead => "не удалось прочитать {0}: {1}",
        Msg::QEmpty => "пустое выражение фильтра",
        Msg::QUnmatchedClose => "лишняя ')'",
        Msg::QTooDeep => "вложенность глубже {0} уровней (скобки и отрицания)",
        Msg::QUnexpected => "неожиданное {0}",
        Msg::QAfter => "после {0} ожидалось выражение",
        Msg::QBefore => "перед {0} ожидалось выражение",
        Msg::QLoneOp => {
            "'{0}' сам по себе не оператор: пишите '{0}{0}' или '{1}', а значение с ним заключите в кавычки"
        }
        Msg::QExpression => "ожидалось выражение",
        Msg::QInsideParens => "внутри '()' ожидалось выражение",
        Msg::QUnclosed => "незакрытая '('",
        Msg::QFieldBefore => "перед '{0}' ожидалось имя поля",
        Msg::QInField => "'in' применяется к полю адреса (laddr, raddr), а не к '{0}'",
        Msg::QInStart => "перед 'in' нужно поле адреса, например 'remote in 10.0.0.0/8'",
        Msg::QValueAfterColon => "после '{0}:' ожидалось значение",
        Msg::QValueAfterFound => "после '{0}' ожидалось значение, а найдено {1}",
        Msg::QValueAfter => "после '{0}' ожидалось значение",
        Msg::QUnknownField => "неизвестное поле '{0}'",
        Msg::QDidYouMean => "{0}; может быть, '{1}'?",
        Msg::QUnknownValue => "неизвестное значение '{0}' для {1}",
        Msg::QBadOp => "'{0}' неприменим к {1}",
        Msg::QBadRegex => "неверное регулярное выражение: {0}",
        Msg::QRangeOp => "для диапазона нужен '=' или '!='",
        Msg::QEmptyRange => "пустой диапазон {0}",
        Msg::QNumber => "для {0} ожидалось число, а найдено '{1}'",
        Msg::QOutOfRange => "{0} должен быть от 0 до {1}, а найдено '{2}'",
        Msg::QAddress => "для {0} ожидался IP-адрес, а найдено '{1}'",
        Msg::QState => {
            "неизвестное состояние '{0}'; состояния: {1} и группы connected, synchronized, bucket, big"
        }
        Msg::QProto => "неизвестный протокол '{0}'; используйте tcp или udp",
        Msg::QStatus => "неизвестный статус '{0}'; используйте new, gone, unchanged или active",
        Msg::QNetwork => "ожидалась сеть вида 10.0.0.0/8, а найдено '{0}'",
        Msg::QPrefix => "длина префикса должна быть от 0 до {0}, а найдено '{1}'",
        Msg::QUnterminated => "незакрытая строка в кавычках {0}",
        Msg::UnknownReason => "неизвестный код причины '{0}'; коды: {1}",
        Msg::CfgEmptyService => "имя службы не может быть пустым",
        Msg::CfgDuration => "'{0}' — не длительность вроде 500ms, 2s или 1m",
        Msg::CfgUnit => "неизвестная единица '{0}' в '{1}'; используйте ms, s, m или h",
        Msg::CfgRange => "'{0}' вне допустимого диапазона",
        Msg::CfgPort => "'{0}' — не порт (1-65535, можно с /tcp или /udp)",
        Msg::CfgProto => "неизвестный протокол '{0}' в '{1}'; используйте tcp или udp",
        Msg::RuleNeedsName => "у правила должно быть имя",
        Msg::RuleError => "правило '{0}': {1}{2}",
        Msg::FwBadProto => "proto {0} — не tcp и не udp",
        Msg::FwNoLocalPort => "нет local_port от 1 до 65535",
        Msg::FwNoRemote => {
            "{0}: нет удалённого адреса (слушающий сокет?); --local-port заблокирует его порт"
        }
        Msg::FwNotIp => "remote_addr {0} — не IP-адрес",
        Msg::FwSkipped => "{0}: пропущен {1}: {2}",
        Msg::FwLoopback => "loopback-адрес",
        Msg::FwUnspecified => "неуказанный адрес",
        Msg::FwOwn => "адрес этой машины (--allow-private заблокирует его)",
        Msg::FwPrivate => "частный или link-local адрес (--allow-private заблокирует его)",
        Msg::BadSpec => "{0} — не цель: укажите pid (1234), :PORT, PORT/tcp или PORT/udp",
        Msg::BadPid => "{0}: pid {1} — не номер процесса (целое положительное число)",
        Msg::BadStarted => {
            "{0}: started {1} — не существующее время (RFC 3339, например 2026-11-28T09:30:00Z)"
        }
        Msg::BadSignal => "{0} — не сигнал: укажите имя (TERM, SIGHUP, kill) или номер от 1 до 64",
        Msg::BadBlock => "{0} — не IP-адрес и не PORT/tcp или PORT/udp",
        // Issue 21 (safety).
        Msg::StdoutClosed => "стандартный вывод закрыт: записать ничего нельзя",
        Msg::StdoutWrite => "не удаётся записать в стандартный вывод: {0}",
        Msg::NotesMore => "... и ещё {0} таких же",
        Msg::ExecTimedOut => {
            "не завершилась за {0} и убита вместе со всеми запущенными ею процессами"
        }
        Msg::KillThread => "{0} — поток процесса {1}, а не процесс; укажите pid процесса",
        Msg::JsonNumberRange => "число вне допустимого диапазона",
        Msg::JsonSurrogate => "непарный суррогат в экранировании \\u",
        // Issue 18 (traffic).
        Msg::HeadContainer => "КОНТЕЙНЕР",
        Msg::HeadConns => "СОЕД",
        Msg::HeadRateIn => "ПРИЁМ/С",
        Msg::HeadRateOut => "ПЕРЕДАЧА/С",
        Msg::HeadTotalIn => "ПРИНЯТО",
        Msg::HeadTotalOut => "ПЕРЕДАНО",
        Msg::HiddenOwner => "(скрыт, uid {0})",
        Msg::TrafficHeader => "prt watch --traffic  {0}  скан {1}  групп: {2}  каждые {3}",
        Msg::LiveSort => "сортировка {0} {1}",
        Msg::LivePaused => "ПАУЗА",
        Msg::LiveFilter => "фильтр {0}",
        Msg::LiveKeys => {
            "q выход  s/S сортировка  / фильтр  p пауза  ↑↓ выбор  Enter подробно  k завершить"
        }
        Msg::LiveFilterPrompt => "фильтр (Enter применить, Esc отмена): {0}",
        Msg::LiveKillAsk => "послать {0} процессу {1}?",
        Msg::LiveDetailKeys => "Esc назад  ↑↓ PgUp PgDn прокрутка",
        Msg::LiveNoProcess => "процесс этой строки не виден",
        Msg::CsvNoColumn => {
            "строка CSV {0}: {1} не записано: в заголовке, заданном первой записью, нет такого столбца (поставьте такие записи первыми или используйте --format ndjson)"
        }
        Msg::WatchHeaderShort => "prt watch {0}  сокетов {1} +{2} -{3}{4}",
        // Issue 19 (metrics).
        Msg::MetricsListen => "не удалось отдавать метрики на {0}: {1}",
        Msg::MetricsWrite => "не удалось записать метрики в {0}: {1}",
        // Issue 16 (events).
        Msg::EventsUnavailable => {
            "нет событий ({0}): {1}; изменения показывают только сканирования"
        }
        Msg::EventsLost => {
            "ядро потеряло события (watch не успевал читать): закрытые за это время сокеты не показаны; следующее сканирование покажет открытые"
        }
        Msg::EventsDestroySource => "закрытие сокетов",
        Msg::EventsProcessSource => "процессы",
        Msg::EventsTcpStateSource => "состояния TCP (tracepoint, только root)",
        Msg::MetricsNoInput => {
            "нет записей: передайте их через канал (prt scan | {0}) или укажите файлы"
        }
    }
}
