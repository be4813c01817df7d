//! Русский.

use super::Msg;

/// The Russian text of `msg`.
#[allow(clippy::match_same_arms)] // one line per key reads better than merged arms
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
        Msg::SkippedLines => "всего пропущено испорченных строк: {0}",
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
    }
}
