use super::{Stmt, assignment, expand, parse, script_of, var_refs};

fn simple(words: &[&str]) -> Stmt {
    Stmt::Simple { assigns: vec![], words: words.iter().map(|w| (*w).to_string()).collect(), redirects: vec![] }
}

#[test]
fn words_lose_their_quotes_and_keep_substitutions() {
    let s = parse(r#"etcdctl --endpoints="a,b" 'de'frag "$(jq -r '.x' f)" ${X:-y} `date` a\ b"#);
    assert_eq!(
        s,
        vec![simple(&["etcdctl", "--endpoints=a,b", "defrag", "$(jq -r '.x' f)", "${X:-y}", "`date`", "a b"])]
    );
}

#[test]
fn lists_and_or_pipelines_and_redirections() {
    let s = parse("set -e; a && b || c\nx | y 2>&1 > /tmp/out; d &");
    assert_eq!(s.len(), 4);
    assert_eq!(s[0], simple(&["set", "-e"]));
    assert_eq!(s[1], Stmt::AndOr(Box::new(simple(&["a"])), vec![(true, simple(&["b"])), (false, simple(&["c"]))]));
    let Stmt::Pipeline(p) = &s[2] else { panic!("{:?}", s[2]) };
    assert_eq!(
        p[1],
        Stmt::Simple { assigns: vec![], words: vec!["y".into()], redirects: vec!["1".into(), "/tmp/out".into()] }
    );
    assert_eq!(s[3], simple(&["d"]));
}

#[test]
fn assignments_lead_a_command_or_stand_alone() {
    let s = parse("A=1 B=\"$(etcdctl endpoint status)\" cmd C=2\nD=3");
    assert_eq!(
        s[0],
        Stmt::Simple {
            assigns: vec![("A".into(), "1".into()), ("B".into(), "$(etcdctl endpoint status)".into())],
            words: vec!["cmd".into(), "C=2".into()],
            redirects: vec![]
        }
    );
    assert_eq!(s[1], Stmt::Simple { assigns: vec![("D".into(), "3".into())], words: vec![], redirects: vec![] });
    // A quoted name is no assignment.
    assert_eq!(parse("\"A=1\""), vec![simple(&["A=1"])]);
}

#[test]
fn compound_commands() {
    let script = r#"
        # defragment each member
        for ep in a b c; do
          if [ "$(check "$ep")" -lt 10 ]; then
            etcdctl --endpoints="$ep" defrag
          elif true; then :
          else
            echo skip
          fi
        done
        while ! ready; do sleep 1; done
        until x; do y; done
        case "$1" in
          start|run) go ;;
          *) exit 1 ;;
        esac
        { a; b; }
        ( c )
        f() { etcdctl "$@"; }
        function g { h; }
    "#;
    let s = parse(script);
    assert_eq!(s.len(), 8, "{s:#?}");
    let Stmt::For { var, items, body } = &s[0] else { panic!() };
    assert_eq!(var, "ep");
    assert_eq!(items.as_deref(), Some(&["a".to_string(), "b".into(), "c".into()][..]));
    let Stmt::If { arms, otherwise } = &body[0] else { panic!() };
    assert_eq!(arms.len(), 2);
    assert_eq!(arms[0].1, vec![simple(&["etcdctl", "--endpoints=$ep", "defrag"])]);
    assert_eq!(otherwise, &vec![simple(&["echo", "skip"])]);
    assert!(matches!(&s[1], Stmt::Loop { until: false, .. }));
    assert!(matches!(&s[2], Stmt::Loop { until: true, .. }));
    let Stmt::Case { word, arms } = &s[3] else { panic!() };
    assert_eq!(word, "$1");
    assert_eq!(arms.len(), 2);
    assert!(arms[1][0].leaves());
    assert_eq!(s[4], Stmt::Group(vec![simple(&["a"]), simple(&["b"])]));
    assert_eq!(s[5], Stmt::Group(vec![simple(&["c"])]));
    assert!(matches!(&s[6], Stmt::Function { name, .. } if name == "f"));
    assert!(matches!(&s[7], Stmt::Function { name, .. } if name == "g"));
}

#[test]
fn heredocs_and_comments_are_skipped() {
    let s = parse("cat <<EOF > f\netcdctl defrag\nEOF\necho done # etcdctl defrag\n");
    assert_eq!(s.len(), 2);
    assert_eq!(s[1], simple(&["echo", "done"]));
}

#[test]
fn keywords_only_in_command_position() {
    let s = parse("echo done fi; if a; then echo then; fi");
    assert_eq!(s[0], simple(&["echo", "done", "fi"]));
    let Stmt::If { arms, .. } = &s[1] else { panic!() };
    assert_eq!(arms[0].1, vec![simple(&["echo", "then"])]);
}

#[test]
fn garbage_never_panics_or_hangs() {
    for script in [
        "",
        ")",
        ";;",
        "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x",
        "if if if",
        "for",
        "case x in",
        "\"unterminated",
        "'unterminated",
        "$(unterminated",
        "a <<",
        "f() ",
        "} } done fi esac",
        "`",
        "\\",
        "é$(ü)${ö",
    ] {
        let _ = parse(script);
    }
}

#[test]
fn shell_scripts_are_found() {
    assert_eq!(script_of(&["/bin/sh", "-c", "x"]), Some((2, "x")));
    assert_eq!(script_of(&["bash", "-ec", "x", "arg0"]), Some((2, "x")));
    assert_eq!(script_of(&["bash", "-o", "pipefail", "-c", "x"]), Some((4, "x")));
    assert_eq!(script_of(&["busybox", "sh", "-c", "x"]), Some((3, "x")));
    assert_eq!(script_of(&["sh", "script.sh"]), None);
    assert_eq!(script_of(&["etcd", "-c", "x"]), None);
}

#[test]
fn variables() {
    assert_eq!(assignment("A_1=x=y"), Some(("A_1", "x=y")));
    assert_eq!(assignment("1A=x"), None);
    assert_eq!(assignment("--flag=x"), None);
    assert_eq!(var_refs("$a ${b:-c} $(d) $$ x$e_f"), vec!["a", "b", "e_f"]);
    assert_eq!(var_refs("$((raft - $applied + 1))"), vec!["raft", "applied", "applied"]);
    let vars = |n: &str| (n == "EP").then(|| "https://a:2379".to_string());
    assert_eq!(expand("--endpoints=$EP", &vars).as_deref(), Some("--endpoints=https://a:2379"));
    assert_eq!(expand("${EP}/x ${N:-3}", &vars).as_deref(), Some("https://a:2379/x 3"));
    assert_eq!(expand("$OTHER", &vars), None);
    assert_eq!(expand("$(cmd)", &vars), None);
    assert_eq!(expand("cost: 5$", &vars).as_deref(), Some("cost: 5$"));
}
