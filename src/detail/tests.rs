//! Unit tests of `detail`.

use super::*;

#[test]
fn systemd_units_from_cgroup_paths() {
    assert_eq!(
        systemd_unit("/system.slice/nginx.service").as_deref(),
        Some("nginx.service")
    );
    assert_eq!(
        systemd_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope")
            .as_deref(),
        Some("foo.scope")
    );
    assert_eq!(
        systemd_unit("/system.slice/docker-0123abcd.scope").as_deref(),
        Some("docker-0123abcd.scope")
    );
    assert_eq!(systemd_unit("/"), None);
    assert_eq!(systemd_unit("/kubepods/burstable/pod1/abc"), None);
}

#[test]
fn cgroup_v2_line_wins_over_v1() {
    assert_eq!(
        cgroup_path("12:pids:/a\n0::/system.slice/x.service\n").as_deref(),
        Some("/system.slice/x.service")
    );
    assert_eq!(
        cgroup_path("4:memory:/docker/abc\n").as_deref(),
        Some("/docker/abc")
    );
    assert_eq!(cgroup_path(""), None);
}

#[test]
fn this_process_is_described() {
    let me = std::process::id();
    let info = ProcessInfo::read(me, BootClock::read().as_ref()).expect("self");
    let target = Target {
        pid: me,
        process: info.name,
        started: info.started,
        unverifiable: None,
        holder: false,
        source: "test".to_owned(),
        ports: Vec::new(),
    };
    let options = DetailOptions {
        files: true,
        env_values: false,
        sample: Duration::from_millis(50),
    };
    let mut containers = Containers::with_sources(Vec::new());
    let details = describe(&[target], &[], &options, &mut containers);
    let detail = details[0].as_ref().expect("described");
    assert_eq!(detail.pid, me);
    assert!(detail.threads.is_some_and(|t| t >= 1));
    assert!(detail.rss_bytes.is_some_and(|r| r > 0));
    assert!(detail.cpu_percent.is_some());
    assert_eq!(
        detail.parents.last().map(|a| a.pid),
        Some(1),
        "{:?}",
        detail.parents
    );
    let files = detail.files.as_ref().expect("listed");
    assert_eq!(Some(files.len() as u64), detail.open_files);
    assert!(
        detail
            .env
            .as_ref()
            .is_some_and(|names| names.iter().any(|n| n == "PATH"))
    );
    assert_eq!(detail.env_values, None, "values only when asked");
}
