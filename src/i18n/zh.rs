//! 中文（简体）。

use super::Msg;

/// The Chinese text of `msg`.
#[allow(clippy::match_same_arms)] // one line per key reads better than merged arms
pub(super) fn text(msg: Msg) -> &'static str {
    match msg {
        Msg::HeadProto => "协议",
        Msg::HeadLocal => "本地地址",
        Msg::HeadRemote => "远程地址",
        Msg::HeadState => "状态",
        Msg::HeadPid => "PID",
        Msg::HeadProcess => "进程",
        Msg::HeadUser => "用户",
        Msg::HeadService => "服务",
        Msg::HeadAge => "时长",
        Msg::HeadNetns => "网络命名空间",
        Msg::HeadPorts => "端口",
        Msg::HeadSignal => "信号",
        Msg::HeadOutcome => "结果",
        Msg::HeadMessage => "说明",
        Msg::HeadAction => "操作",
        Msg::HeadTarget => "目标",
        Msg::HeadCommand => "命令",
        Msg::WatchHeader => {
            "prt watch  {0}  第 {1} 次扫描  {2} 个套接字，新增 {3}，关闭 {4}{5}  每 {6}"
        }
        Msg::WatchTraffic => "  接收 {0}  发送 {1}",
        Msg::Up => "开启",
        Msg::Down => "关闭",
        Msg::Since => "已 {0}",
        Msg::Signalled => "已发信号",
        Msg::Exited => "已退出",
        Msg::Killed => "已杀死",
        Msg::NotPermitted => "无权限",
        Msg::Gone => "已不存在",
        Msg::Refused => "已拒绝",
        Msg::SkippedDryRun => "试运行",
        Msg::Applied => "已应用",
        Msg::Unchanged => "未改变",
        Msg::Failed => "失败",
        Msg::ActionBlock => "封锁",
        Msg::ActionUnblock => "解封",
        Msg::ActionSetup => "准备",
        Msg::ActionReset => "重置",
        Msg::LabelPid => "PID",
        Msg::LabelProcess => "进程",
        Msg::LabelExe => "可执行文件",
        Msg::LabelCmdline => "命令行",
        Msg::LabelCwd => "工作目录",
        Msg::LabelUser => "用户",
        Msg::LabelParents => "父进程",
        Msg::LabelStarted => "启动时间",
        Msg::LabelState => "状态",
        Msg::LabelCpu => "CPU",
        Msg::LabelRss => "内存",
        Msg::LabelThreads => "线程",
        Msg::LabelOpenFiles => "打开的文件",
        Msg::LabelSockets => "套接字",
        Msg::LabelCgroup => "cgroup",
        Msg::LabelContainer => "容器",
        Msg::LabelUnit => "systemd 单元",
        Msg::LabelEnvironment => "环境变量",
        Msg::LabelNotes => "备注",
        Msg::Uptime => "{0}（已运行 {1}）",
        Msg::FilesHint => "{0}（--files 列出）",
        Msg::Deleted => "{0}（已删除）",
        Msg::AskOne => "向此进程发送 {0}？",
        Msg::AskMany => "向这 {1} 个进程发送 {0}？",
        Msg::AskOneEscalate => "向此进程发送 {0}，{2} 后仍存活则发送 KILL？",
        Msg::AskManyEscalate => "向这 {1} 个进程发送 {0}，{2} 后仍存活的发送 KILL？",
        Msg::YesNo => "[y/N]",
        Msg::NotConfirmed => "未确认",
        Msg::NoTerminal => "未确认：没有可询问的终端（请加 --yes）",
        Msg::NoTerminalNote => "没有终端可确认：在脚本中请加 --yes",
        Msg::NothingToSignal => "没有可发送信号的进程",
        Msg::NothingToBlock => "没有可封锁的目标",
        Msg::NothingListens => "{0} 上没有进程监听",
        Msg::NoPid => "{0}：{1}：没有 pid：{2}",
        Msg::SkippedLine => "已跳过：{0}",
        Msg::SkippedLines => "共跳过 {0} 行格式错误的输入",
        Msg::NoRules => "没有规则（--when、--rules 或配置中的 [[alerts]]）：不会触发任何告警",
        Msg::NoTargets => {
            "没有目标：请以参数给出 PID 或 :PORT，或通过管道输入记录（prt scan | prt filter ... | {0}）"
        }
        Msg::NoBlockTargets => {
            "没有可封锁的目标：请以参数给出地址，或通过管道输入记录（prt scan | prt filter ... | {0}）"
        }
        Msg::NetnsDenied => "有 {0} 个网络命名空间需要 root 才能进入，未列出；用 `sudo` 可列出",
        Msg::NetnsUnreadable => {
            "没有 root 权限无法读取其他用户的 {0} 个进程的命名空间；只列出可见的"
        }
        Msg::HiddenOwners => "{0} 个套接字属于其他用户的进程，不显示 pid；`sudo prt scan` 可显示",
        Msg::FellBack => "netlink 无法列出 {0} {1} 套接字；已改为读取 /proc/net",
    }
}
