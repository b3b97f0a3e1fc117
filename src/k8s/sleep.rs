//! How long a container's preStop hook sleeps: `lifecycle.preStop.sleep.seconds`, or an exec of
//! `sleep` (directly, through `busybox`, or in a `sh -c` script), with the durations GNU and
//! BusyBox `sleep` accept. Uses `yaml` and `shell`'s `basename`.

use crate::yaml::{NodePath, NodeRef};

use super::shell::basename;

/// A sleep's length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sleep {
    Seconds(f64),
    /// `sleep infinity`.
    Forever,
}

impl Sleep {
    /// Whether the sleep lasts at least `seconds`.
    pub(crate) fn at_least(self, seconds: f64) -> bool {
        match self {
            Sleep::Seconds(s) => s >= seconds,
            Sleep::Forever => true,
        }
    }
}

/// The sleep of a preStop hook, and the node that says it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PreStopSleep {
    pub(crate) sleep: Sleep,
    /// The node that holds the duration (`…preStop.sleep.seconds`, the `sleep` argument, or the
    /// shell script).
    pub(crate) path: NodePath,
}

/// The sleep of the container's `lifecycle.preStop`, when it sleeps a known time.
/// `container_path` is the container's path in its object.
pub(crate) fn prestop_sleep(container: NodeRef<'_, '_>, container_path: &NodePath) -> Option<PreStopSleep> {
    let hook = container.get_path(&["lifecycle", "preStop"])?;
    let hook_path = container_path.key("lifecycle").key("preStop");
    if let Some(seconds) = hook.get_path(&["sleep", "seconds"]) {
        let s = seconds.as_i64().filter(|s| *s >= 0)?;
        return Some(PreStopSleep { sleep: Sleep::Seconds(s as f64), path: hook_path.key("sleep").key("seconds") });
    }
    let command = hook.get_path(&["exec", "command"])?;
    let argv: Vec<&str> = command.items().map(|i| i.as_text()).collect::<Option<Vec<_>>>()?;
    let (sleep, index) = exec_sleep(&argv)?;
    Some(PreStopSleep { sleep, path: hook_path.key("exec").key("command").index(index) })
}

/// The sleep of an exec'd command line (no shell: each item is one argument), and the index of
/// the argument that says it.
pub(crate) fn exec_sleep(argv: &[&str]) -> Option<(Sleep, usize)> {
    let mut start = 0;
    if argv.first().map(|a| basename(a)) == Some("busybox") {
        start = 1;
    }
    let program = basename(argv.get(start)?);
    let rest = argv.get(start + 1..).unwrap_or_default();
    if program == "sleep" {
        return Some((sleep_args(rest)?, start + 1));
    }
    if matches!(program, "sh" | "bash" | "ash" | "dash" | "ksh" | "zsh") {
        // `sh -c SCRIPT`, `sh -ec SCRIPT`, `bash -lc SCRIPT`: the script follows the option
        // that holds `c`.
        let c = rest.iter().position(|a| {
            a.strip_prefix('-')
                .is_some_and(|o| !o.is_empty() && o.contains('c') && o.chars().all(|c| c.is_ascii_alphabetic()))
        })?;
        let script = rest.get(c + 1)?;
        return Some((script_sleep(script)?, start + 1 + c + 1));
    }
    None
}

/// What `sleep ARG…` sleeps (GNU coreutils: every argument is a number with an optional suffix
/// `s`, `m`, `h`, `d`, and they add up; `infinity`). `None` when an argument is not a duration
/// (a `$VAR`), or there is none.
pub(crate) fn sleep_args(args: &[&str]) -> Option<Sleep> {
    if args.is_empty() {
        return None;
    }
    let mut total = 0.0;
    for arg in args {
        let arg = arg.trim();
        if matches!(arg, "infinity" | "inf") {
            return Some(Sleep::Forever);
        }
        let (num, scale) = match arg.char_indices().last() {
            Some((i, 's')) => (arg.get(..i)?, 1.0),
            Some((i, 'm')) => (arg.get(..i)?, 60.0),
            Some((i, 'h')) => (arg.get(..i)?, 3600.0),
            Some((i, 'd')) => (arg.get(..i)?, 86400.0),
            _ => (arg, 1.0),
        };
        if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let n: f64 = num.parse().ok()?;
        total += n * scale;
    }
    total.is_finite().then_some(Sleep::Seconds(total))
}

/// One token of a shell script: a word (quotes removed; `dynamic` when it holds an expansion)
/// or a control operator.
#[derive(Debug, PartialEq)]
enum Token {
    Word {
        text: String,
        dynamic: bool,
    },
    /// `;`, newline, `&&`, `(`, `)`: the next command runs after this one.
    Then,
    /// `||`: the next command runs only when this one fails.
    Or,
    /// `|`: the commands run side by side.
    Pipe,
    /// `&`: this command runs in the background.
    Background,
}

/// Splits a script into words and control operators, as far as sleeps need: quotes, comments,
/// `$` expansions (which make a word unknown).
fn tokens(script: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut dynamic = false;
    let mut chars = script.chars().peekable();
    let flush = |out: &mut Vec<Token>, word: &mut String, in_word: &mut bool, dynamic: &mut bool| {
        if *in_word {
            out.push(Token::Word { text: std::mem::take(word), dynamic: *dynamic });
        }
        *in_word = false;
        *dynamic = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                word.push(e);
                            }
                        }
                        '$' | '`' => {
                            dynamic = true;
                            word.push(q);
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                // A line continuation joins lines; an escaped character is literal.
                match chars.next() {
                    Some('\n') | None => {}
                    Some(e) => {
                        in_word = true;
                        word.push(e);
                    }
                }
            }
            '$' | '`' => {
                in_word = true;
                dynamic = true;
                word.push(c);
            }
            '#' if !in_word => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                flush(&mut out, &mut word, &mut in_word, &mut dynamic);
                out.push(Token::Then);
            }
            ' ' | '\t' => flush(&mut out, &mut word, &mut in_word, &mut dynamic),
            '\n' | ';' | '(' | ')' => {
                flush(&mut out, &mut word, &mut in_word, &mut dynamic);
                if c == ';' && chars.peek() == Some(&';') {
                    chars.next();
                }
                out.push(Token::Then);
            }
            '&' => {
                flush(&mut out, &mut word, &mut in_word, &mut dynamic);
                if chars.peek() == Some(&'&') {
                    chars.next();
                    out.push(Token::Then);
                } else {
                    out.push(Token::Background);
                }
            }
            '|' => {
                flush(&mut out, &mut word, &mut in_word, &mut dynamic);
                if chars.peek() == Some(&'|') {
                    chars.next();
                    out.push(Token::Or);
                } else {
                    out.push(Token::Pipe);
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut out, &mut word, &mut in_word, &mut dynamic);
    out
}

/// A simple command of a script: its words (with whether each holds an expansion), and the
/// operators before and after it.
type Command<'t> = (Vec<(&'t str, bool)>, Option<&'t Token>, Option<&'t Token>);

/// What a shell script surely sleeps: the `sleep` commands it runs one after the other at its
/// top level (`sleep 5 && nginx -s quit` sleeps 5 s). Sleeps inside `if`, loops and `case`, after
/// `||`, in the background or in a pipeline may not run (or run side by side), and a sleep of
/// `$VAR` is unknown: they do not count. `None` when no sleep counts.
pub(crate) fn script_sleep(script: &str) -> Option<Sleep> {
    let tokens = tokens(script);
    // Split into simple commands with the operator before and after each.
    let mut commands: Vec<Command<'_>> = Vec::new();
    let mut current: Vec<(&str, bool)> = Vec::new();
    let mut before: Option<&Token> = None;
    for t in &tokens {
        match t {
            Token::Word { text, dynamic } => current.push((text.as_str(), *dynamic)),
            op => {
                commands.push((std::mem::take(&mut current), before, Some(op)));
                before = Some(op);
            }
        }
    }
    commands.push((current, before, None));
    let mut depth = 0usize;
    let mut total: Option<Sleep> = None;
    for (words, before, after) in commands {
        let mut words = words.as_slice();
        // Reserved words that open or close compound commands, and those that continue them.
        while let Some(((first, false), rest)) = words.split_first() {
            match *first {
                "if" | "while" | "until" | "for" | "case" | "select" | "{" => depth += 1,
                "fi" | "done" | "esac" | "}" => depth = depth.saturating_sub(1),
                "then" | "do" | "else" | "elif" | "!" | "exec" | "command" => {}
                _ => break,
            }
            words = rest;
        }
        if depth > 0 || matches!(before, Some(Token::Or | Token::Pipe)) {
            continue;
        }
        if matches!(after, Some(Token::Background | Token::Pipe)) {
            continue;
        }
        if words.first().is_some_and(|(w, _)| basename(w) == "busybox") {
            words = words.get(1..).unwrap_or_default();
        }
        let Some(((program, false), args)) = words.split_first() else { continue };
        if basename(program) != "sleep" || args.iter().any(|(_, dynamic)| *dynamic) {
            continue;
        }
        let args: Vec<&str> = args.iter().map(|(w, _)| *w).collect();
        let Some(s) = sleep_args(&args) else { continue };
        total = Some(match (total, s) {
            (Some(Sleep::Forever), _) | (_, Sleep::Forever) => Sleep::Forever,
            (Some(Sleep::Seconds(a)), Sleep::Seconds(b)) => Sleep::Seconds(a + b),
            (None, s) => s,
        });
    }
    total
}

#[cfg(test)]
mod tests {
    use super::{Sleep, exec_sleep, script_sleep, sleep_args};

    #[test]
    fn sleep_arguments_as_gnu_sleep_reads_them() {
        let cases: [(&[&str], Option<Sleep>); 9] = [
            (&["5"], Some(Sleep::Seconds(5.0))),
            (&["5s"], Some(Sleep::Seconds(5.0))),
            (&["1m"], Some(Sleep::Seconds(60.0))),
            (&["0.5"], Some(Sleep::Seconds(0.5))),
            (&["1m", "30s"], Some(Sleep::Seconds(90.0))),
            (&["infinity"], Some(Sleep::Forever)),
            (&["$DELAY"], None),
            (&["5x"], None),
            (&[], None),
        ];
        for (args, want) in cases {
            assert_eq!(sleep_args(args), want, "{args:?}");
        }
    }

    #[test]
    fn exec_commands() {
        type Case<'a> = (&'a [&'a str], Option<(Sleep, usize)>);
        let cases: [Case<'_>; 9] = [
            (&["sleep", "30"], Some((Sleep::Seconds(30.0), 1))),
            (&["/bin/sleep", "30"], Some((Sleep::Seconds(30.0), 1))),
            (&["busybox", "sleep", "5"], Some((Sleep::Seconds(5.0), 2))),
            (&["sh", "-c", "sleep 15"], Some((Sleep::Seconds(15.0), 2))),
            (&["/bin/sh", "-ec", "sleep 5 && nginx -s quit"], Some((Sleep::Seconds(5.0), 2))),
            (&["bash", "-lc", "sleep 10s; kill -QUIT 1"], Some((Sleep::Seconds(10.0), 2))),
            (&["/wait-shutdown"], None),
            (&["sh", "-c", "nginx -s quit"], None),
            (&["sleep 30"], None),
        ];
        for (argv, want) in cases {
            assert_eq!(exec_sleep(argv), want, "{argv:?}");
        }
    }

    #[test]
    fn scripts_count_only_the_sleeps_that_surely_run() {
        let cases = [
            ("sleep 5", Some(Sleep::Seconds(5.0))),
            ("sleep 5 && nginx -s quit", Some(Sleep::Seconds(5.0))),
            ("sleep 5; sleep 10", Some(Sleep::Seconds(15.0))),
            ("echo draining\nsleep 20\n", Some(Sleep::Seconds(20.0))),
            ("exec sleep 40", Some(Sleep::Seconds(40.0))),
            ("sleep \"30\"", Some(Sleep::Seconds(30.0))),
            ("nginx -s quit; while pgrep nginx; do sleep 1; done", None),
            ("if [ -f /tmp/x ]; then sleep 30; fi", None),
            ("test -f /ready || sleep 30", None),
            ("sleep 30 &", None),
            ("sleep $DELAY", None),
            ("sleep ${DELAY:-10}", None),
            ("# sleep 30\nkill 1", None),
            ("sleep 10; if true; then sleep 30; fi; sleep 5", Some(Sleep::Seconds(15.0))),
            ("sleep infinity", Some(Sleep::Forever)),
        ];
        for (script, want) in cases {
            assert_eq!(script_sleep(script), want, "{script}");
        }
    }
}
