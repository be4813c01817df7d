//! Unit tests of `ctx`.

use super::*;
use crate::config::ColorChoice;
use crate::i18n::Lang;

#[test]
fn colour_precedence() {
    let plain = Ctx::detached("t", &[]);
    assert!(!plain.colour(None));
    assert!(plain.colour(Some(ColorChoice::Always)));
    let forced = Ctx::detached("t", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(forced.colour(Some(ColorChoice::Auto)));
    assert!(!forced.colour(Some(ColorChoice::Never)));
    let mut tty = Ctx::detached("t", &[("NO_COLOR", "1")]);
    tty.stdout_tty = true;
    assert!(!tty.colour(None));
    tty.config.color = Some(ColorChoice::Always);
    assert!(tty.colour(None), "the configuration beats NO_COLOR");
    assert!(!tty.colour(Some(ColorChoice::Never)), "the flag beats both");
    let mut tty = Ctx::detached("t", &[("NO_COLOR", "")]);
    tty.stdout_tty = true;
    assert!(tty.colour(None), "an empty NO_COLOR is unset");
}

#[test]
fn language_precedence() {
    let flag = ConfigArgs {
        config: None,
        lang: Some(Lang::Zh),
    };
    let none = ConfigArgs::default();
    let all = [
        ("PRT_LANG", "ru"),
        ("LC_ALL", "zh_CN.UTF-8"),
        ("LANG", "en_US.UTF-8"),
    ];
    assert_eq!(Ctx::detached("t", &all).language(&flag), Lang::Zh);
    assert_eq!(Ctx::detached("t", &all).language(&none), Lang::Ru);
    let mut configured = Ctx::detached("t", &all[1..]);
    configured.config.lang = Some(Lang::Ru);
    assert_eq!(configured.language(&none), Lang::Ru, "config before locale");
    assert_eq!(Ctx::detached("t", &all[1..]).language(&none), Lang::Zh);
    assert_eq!(
        Ctx::detached("t", &[("LC_MESSAGES", "ru_RU"), ("LANG", "zh_CN")]).language(&none),
        Lang::Ru
    );
    // LC_ALL set to a language prt lacks still wins over LANG: English.
    assert_eq!(
        Ctx::detached("t", &[("LC_ALL", "de_DE"), ("LANG", "ru_RU")]).language(&none),
        Lang::En
    );
    assert_eq!(Ctx::detached("t", &[]).language(&none), Lang::En);
}

#[test]
fn config_location_precedence() {
    let flag = ConfigArgs {
        config: Some(PathBuf::from("/f.toml")),
        lang: None,
    };
    let none = ConfigArgs::default();
    let ctx = Ctx::detached(
        "t",
        &[
            ("PRT_CONFIG", "/p.toml"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/h"),
        ],
    );
    let path = |ctx: &Ctx, args| ctx.config_location(args).map(|l| l.path);
    assert_eq!(path(&ctx, &flag), Some(PathBuf::from("/f.toml")));
    assert_eq!(path(&ctx, &none), Some(PathBuf::from("/p.toml")));
    let ctx = Ctx::detached("t", &[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
    assert_eq!(path(&ctx, &none), Some(PathBuf::from("/x/prt/config.toml")));
    let ctx = Ctx::detached("t", &[("XDG_CONFIG_HOME", ""), ("HOME", "/h")]);
    assert_eq!(
        path(&ctx, &none),
        Some(PathBuf::from("/h/.config/prt/config.toml"))
    );
    assert_eq!(path(&Ctx::detached("t", &[]), &none), None);
}

#[test]
fn format_defaults_by_destination() {
    let mut ctx = Ctx::detached("t", &[]);
    assert_eq!(ctx.format(&OutputArgs::default()), Format::Ndjson);
    ctx.stdout_tty = true;
    assert_eq!(ctx.format(&OutputArgs::default()), Format::Table);
    let csv = OutputArgs {
        format: Some(Format::Csv),
        ..OutputArgs::default()
    };
    assert_eq!(ctx.format(&csv), Format::Csv);
    ctx.config.format = Some(Format::Json);
    assert_eq!(ctx.format(&OutputArgs::default()), Format::Json);
    assert_eq!(ctx.format(&csv), Format::Csv);
}

#[test]
fn the_configured_format_is_for_the_terminal_only() {
    // See: issue 14
    let mut ctx = Ctx::detached("t", &[]);
    ctx.config.format = Some(Format::Table);
    assert_eq!(ctx.format(&OutputArgs::default()), Format::Ndjson);
    let table = OutputArgs {
        format: Some(Format::Table),
        ..OutputArgs::default()
    };
    assert_eq!(ctx.format(&table), Format::Table, "the flag still wins");
    ctx.stdout_tty = true;
    assert_eq!(ctx.format(&OutputArgs::default()), Format::Table);
    ctx.config.format = Some(Format::Ndjson);
    assert_eq!(ctx.format(&OutputArgs::default()), Format::Ndjson);
}
