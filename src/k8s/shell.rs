//! A small reader of the POSIX shell scripts containers run (`sh -c '…'`, `bash -c "…"`): words
//! with their quotes removed, and the statements they form — simple commands, `&&`/`||` lists,
//! pipelines, `if`, `while`/`until`, `for`, `case`, `{ }` and `( )` groups, functions. Enough
//! to follow what an etcd maintenance script runs and under which condition; not a shell: it
//! never expands globs and never fails (what it cannot read becomes words). Uses nothing of ours.

/// A statement of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stmt {
    /// `A=1 cmd arg > file`: the leading assignments, the words, the redirection targets.
    Simple { assigns: Vec<(String, String)>, words: Vec<String>, redirects: Vec<String> },
    /// `a && b || c`: the first statement, then each connector (`true` for `&&`) and statement.
    AndOr(Box<Stmt>, Vec<(bool, Stmt)>),
    /// `a | b | c`.
    Pipeline(Vec<Stmt>),
    /// `if c; then b; elif c; then b; else e; fi`.
    If { arms: Vec<(Vec<Stmt>, Vec<Stmt>)>, otherwise: Vec<Stmt> },
    /// `while c; do b; done` (`until` when `until`).
    Loop { until: bool, cond: Vec<Stmt>, body: Vec<Stmt> },
    /// `for var in items; do body; done` (`items` is `None` for `for var; do`, the arguments).
    For { var: String, items: Option<Vec<String>>, body: Vec<Stmt> },
    /// `case word in pat) body;; esac`.
    Case { word: String, arms: Vec<Vec<Stmt>> },
    /// `{ …; }` or `( … )`.
    Group(Vec<Stmt>),
    /// `name() { … }` or `function name { … }`.
    Function { name: String, body: Vec<Stmt> },
}

/// Nesting deeper than this is read as plain words (hostile input stays bounded).
const MAX_DEPTH: usize = 32;

/// Reads a script into statements.
pub(crate) fn parse(script: &str) -> Vec<Stmt> {
    let mut p = Parser { toks: tokenize(script), pos: 0, depth: 0 };
    let mut out = p.list(&[]);
    // Whatever a stray `)`, `;;` or keyword stopped is read on.
    while p.pos < p.toks.len() {
        p.pos += 1;
        out.extend(p.list(&[]));
    }
    out
}

/// The shells whose `-c` runs a script.
pub(crate) fn is_shell(word: &str) -> bool {
    matches!(basename(word), "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "busybox")
}

/// The script of a shell invocation `sh [-e…] -c SCRIPT …` given as words, with its index.
pub(crate) fn script_of<S: AsRef<str>>(words: &[S]) -> Option<(usize, &str)> {
    let first = words.first()?.as_ref();
    if !is_shell(first) {
        return None;
    }
    let mut i = 1;
    // `busybox sh -c`
    if basename(first) == "busybox" && words.get(1).is_some_and(|w| is_shell(w.as_ref())) {
        i = 2;
    }
    while let Some(w) = words.get(i).map(AsRef::as_ref) {
        if w.starts_with("--") || !w.starts_with('-') {
            return None;
        }
        i += 1;
        // `-c`, `-ec`, `-xc`, `-euxc`: a cluster of one-letter options that holds `c`.
        if w.contains('c') && !w.contains('o') {
            return words.get(i).map(|s| (i, s.as_ref()));
        }
        if w == "-o" {
            i += 1; // `-o pipefail`
        }
    }
    None
}

/// The last path segment of a command (`/usr/local/bin/etcd` → `etcd`).
pub(crate) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// `NAME=value` as (name, value).
pub(crate) fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some((name, value))
}

/// The names a text refers to as `$NAME`, `${NAME…}` or by name in `$(( arithmetic ))`
/// (not `$(…)`).
pub(crate) fn var_refs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        rest = rest.get(at + 1..).unwrap_or_default();
        if let Some(arith) = rest.strip_prefix("((") {
            let inner = arith.get(..arith.find("))").unwrap_or(arith.len())).unwrap_or_default();
            out.extend(
                inner
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')),
            );
            continue;
        }
        let body = rest.strip_prefix('{').unwrap_or(rest);
        let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(body.len());
        if let Some(name) = body.get(..end).filter(|n| !n.is_empty()) {
            out.push(name);
        }
    }
    out
}

/// Replaces `$NAME`, `${NAME}` and `${NAME:-default}` by what `lookup` knows; `None` when a
/// reference (or a command substitution) stays unknown.
pub(crate) fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}')?;
            let inner = braced.get(..end).unwrap_or_default();
            let (name, default) = match inner.split_once(":-").or_else(|| inner.split_once('-')) {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            out.push_str(&lookup(name).or_else(|| default.map(str::to_string))?);
            rest = braced.get(end + 1..).unwrap_or_default();
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            if end == 0 {
                if after.starts_with(['(', '`']) {
                    return None;
                }
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(&lookup(after.get(..end).unwrap_or_default())?);
            rest = after.get(end..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    Some(out)
}

impl Stmt {
    /// Every word, assigned value and redirection target of the statement and what it holds.
    pub(crate) fn texts<'s>(&'s self, out: &mut Vec<&'s str>) {
        let all = |stmts: &'s [Stmt], out: &mut Vec<&'s str>| stmts.iter().for_each(|s| s.texts(out));
        match self {
            Stmt::Simple { assigns, words, redirects } => {
                out.extend(assigns.iter().map(|(_, v)| v.as_str()));
                out.extend(words.iter().map(String::as_str));
                out.extend(redirects.iter().map(String::as_str));
            }
            Stmt::AndOr(first, rest) => {
                first.texts(out);
                rest.iter().for_each(|(_, s)| s.texts(out));
            }
            Stmt::Pipeline(stmts) | Stmt::Group(stmts) => all(stmts, out),
            Stmt::If { arms, otherwise } => {
                for (c, b) in arms {
                    all(c, out);
                    all(b, out);
                }
                all(otherwise, out);
            }
            Stmt::Loop { cond, body, .. } => {
                all(cond, out);
                all(body, out);
            }
            Stmt::For { items, body, .. } => {
                out.extend(items.iter().flatten().map(String::as_str));
                all(body, out);
            }
            Stmt::Case { word, arms } => {
                out.push(word);
                arms.iter().for_each(|a| all(a, out));
            }
            Stmt::Function { body, .. } => all(body, out),
        }
    }

    /// Ends the script or leaves the loop or function (`exit`, `return`, `continue`, `break`)
    /// at its top level or in a branch.
    pub(crate) fn leaves(&self) -> bool {
        match self {
            Stmt::Simple { words, .. } => {
                words.first().is_some_and(|w| matches!(w.as_str(), "exit" | "return" | "continue" | "break"))
            }
            Stmt::AndOr(first, rest) => first.leaves() || rest.iter().any(|(_, s)| s.leaves()),
            Stmt::Group(stmts) => stmts.iter().any(Stmt::leaves),
            Stmt::If { arms, otherwise } => {
                arms.iter().any(|(_, b)| b.iter().any(Stmt::leaves)) || otherwise.iter().any(Stmt::leaves)
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// `quoted`: some of it was quoted (then it is no keyword); `plain_head`: nothing before
    /// its first `=` was (then it can be an assignment).
    Word {
        text: String,
        quoted: bool,
        plain_head: bool,
    },
    Op(Op),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Newline,
    Semi,
    DSemi,
    Amp,
    And,
    Or,
    Pipe,
    LParen,
    RParen,
    Redirect,
}

fn tokenize(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = Vec::new();
    let mut heredocs: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        match c {
            ' ' | '\t' | '\r' => i += 1,
            '\\' if at(i + 1) == Some('\n') => i += 2,
            '\n' => {
                out.push(Tok::Op(Op::Newline));
                i += 1;
                for delim in heredocs.drain(..) {
                    i = skip_heredoc(&chars, i, &delim);
                }
            }
            '#' => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            ';' if at(i + 1) == Some(';') => {
                out.push(Tok::Op(Op::DSemi));
                i += 2;
            }
            ';' => {
                out.push(Tok::Op(Op::Semi));
                i += 1;
            }
            '&' if at(i + 1) == Some('&') => {
                out.push(Tok::Op(Op::And));
                i += 2;
            }
            '&' if at(i + 1) == Some('>') => {
                out.push(Tok::Op(Op::Redirect));
                i += 2;
                if at(i) == Some('>') {
                    i += 1;
                }
            }
            '&' => {
                out.push(Tok::Op(Op::Amp));
                i += 1;
            }
            '|' if at(i + 1) == Some('|') => {
                out.push(Tok::Op(Op::Or));
                i += 2;
            }
            '|' => {
                out.push(Tok::Op(Op::Pipe));
                i += if at(i + 1) == Some('&') { 2 } else { 1 };
            }
            '(' => {
                out.push(Tok::Op(Op::LParen));
                i += 1;
            }
            ')' => {
                out.push(Tok::Op(Op::RParen));
                i += 1;
            }
            '<' if at(i + 1) == Some('<') && at(i + 2) != Some('<') => {
                // A here-document: its body (after the line's end) is skipped.
                i += 2;
                if at(i) == Some('-') {
                    i += 1;
                }
                while at(i).is_some_and(|c| c == ' ' || c == '\t') {
                    i += 1;
                }
                let (word, next) = read_word(&chars, i);
                i = next.max(i + 1).min(chars.len());
                if !word.text.is_empty() {
                    heredocs.push(word.text);
                }
            }
            '<' | '>' => {
                out.push(Tok::Op(Op::Redirect));
                i += 1;
                while at(i).is_some_and(|c| matches!(c, '<' | '>' | '&' | '|')) {
                    i += 1;
                }
            }
            _ => {
                let (word, next) = read_word(&chars, i);
                // A file descriptor before a redirection (`2>&1`) is no word.
                let fd = next < chars.len()
                    && matches!(at(next), Some('<' | '>'))
                    && !word.quoted
                    && word.text.chars().all(|c| c.is_ascii_digit());
                if !fd {
                    out.push(Tok::Word { text: word.text, quoted: word.quoted, plain_head: word.plain_head });
                }
                i = next.max(i + 1);
            }
        }
    }
    out
}

struct RawWord {
    text: String,
    quoted: bool,
    plain_head: bool,
}

/// Reads one word from `i`: quotes removed, `$(…)`, `${…}` and backquotes kept as written.
fn read_word(chars: &[char], mut i: usize) -> (RawWord, usize) {
    let at = |i: usize| chars.get(i).copied();
    let mut text = String::new();
    let mut quoted = false;
    let mut plain_head = true;
    while let Some(c) = at(i) {
        if matches!(c, '\'' | '"' | '\\') && !text.contains('=') {
            plain_head = false;
        }
        match c {
            ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' => break,
            '\\' => {
                if let Some(n) = at(i + 1).filter(|n| *n != '\n') {
                    text.push(n);
                }
                i += 2;
            }
            '\'' => {
                quoted = true;
                i += 1;
                while let Some(c) = at(i).filter(|c| *c != '\'') {
                    text.push(c);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                quoted = true;
                i += 1;
                while let Some(c) = at(i).filter(|c| *c != '"') {
                    match c {
                        '\\' if at(i + 1).is_some_and(|n| matches!(n, '$' | '`' | '"' | '\\' | '\n')) => {
                            if let Some(n) = at(i + 1).filter(|n| *n != '\n') {
                                text.push(n);
                            }
                            i += 2;
                        }
                        '$' if matches!(at(i + 1), Some('(' | '{')) => i = copy_balanced(chars, i, &mut text),
                        '`' => i = copy_backquoted(chars, i, &mut text),
                        _ => {
                            text.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            '$' if matches!(at(i + 1), Some('(' | '{')) => i = copy_balanced(chars, i, &mut text),
            '`' => i = copy_backquoted(chars, i, &mut text),
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    (RawWord { text, quoted, plain_head }, i)
}

/// Copies `$(…)`, `$((…))` or `${…}` starting at the `$` at `i`, with what is nested in it.
fn copy_balanced(chars: &[char], mut i: usize, out: &mut String) -> usize {
    let (open, close) = if chars.get(i + 1) == Some(&'{') { ('{', '}') } else { ('(', ')') };
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    while let Some(&c) = chars.get(i) {
        out.push(c);
        i += 1;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                if let Some(&n) = chars.get(i) {
                    out.push(n);
                    i += 1;
                }
            }
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c == open => depth += 1,
            (None, c) if c == close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    i
}

fn copy_backquoted(chars: &[char], mut i: usize, out: &mut String) -> usize {
    out.push('`');
    i += 1;
    while let Some(&c) = chars.get(i) {
        out.push(c);
        i += 1;
        if c == '`' {
            break;
        }
    }
    i
}

/// Skips the lines of a here-document from `i` up to and including its delimiter line.
fn skip_heredoc(chars: &[char], mut i: usize, delim: &str) -> usize {
    while i < chars.len() {
        let end = chars.get(i..).and_then(|rest| rest.iter().position(|c| *c == '\n')).map_or(chars.len(), |p| i + p);
        let line: String = chars.get(i..end).unwrap_or_default().iter().collect();
        i = end + 1;
        if line.trim() == delim {
            break;
        }
    }
    i.min(chars.len())
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// The unquoted word at the cursor (a keyword candidate).
    fn keyword(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word { text, quoted: false, .. }) => Some(text),
            _ => None,
        }
    }

    fn is_op(&self, op: Op) -> bool {
        self.peek() == Some(&Tok::Op(op))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let hit = self.keyword() == Some(word);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn skip(&mut self, ops: &[Op]) {
        while let Some(Tok::Op(op)) = self.peek() {
            if !ops.contains(op) {
                break;
            }
            self.pos += 1;
        }
    }

    /// Statements up to one of the keywords `stops` (in command position), a `)`, a `;;` or
    /// the end.
    fn list(&mut self, stops: &[&str]) -> Vec<Stmt> {
        let mut out = Vec::new();
        loop {
            self.skip(&[Op::Newline, Op::Semi, Op::Amp]);
            match self.peek() {
                None | Some(Tok::Op(Op::RParen | Op::DSemi)) => break,
                Some(Tok::Word { text, quoted: false, .. }) if stops.contains(&text.as_str()) => break,
                _ => {}
            }
            let before = self.pos;
            if let Some(s) = self.and_or(stops) {
                out.push(s);
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
        out
    }

    fn and_or(&mut self, stops: &[&str]) -> Option<Stmt> {
        let first = self.pipeline(stops)?;
        let mut rest = Vec::new();
        while self.is_op(Op::And) || self.is_op(Op::Or) {
            let and = self.is_op(Op::And);
            self.pos += 1;
            self.skip(&[Op::Newline]);
            match self.pipeline(stops) {
                Some(s) => rest.push((and, s)),
                None => break,
            }
        }
        Some(if rest.is_empty() { first } else { Stmt::AndOr(Box::new(first), rest) })
    }

    fn pipeline(&mut self, stops: &[&str]) -> Option<Stmt> {
        self.eat_keyword("!");
        let mut cmds = vec![self.command(stops)?];
        while self.is_op(Op::Pipe) {
            self.pos += 1;
            self.skip(&[Op::Newline]);
            match self.command(stops) {
                Some(c) => cmds.push(c),
                None => break,
            }
        }
        Some(if cmds.len() == 1 { cmds.remove(0) } else { Stmt::Pipeline(cmds) })
    }

    fn command(&mut self, stops: &[&str]) -> Option<Stmt> {
        if self.depth >= MAX_DEPTH {
            return self.simple();
        }
        self.depth += 1;
        let out = self.compound(stops);
        self.depth -= 1;
        out
    }

    fn compound(&mut self, stops: &[&str]) -> Option<Stmt> {
        if self.is_op(Op::LParen) {
            self.pos += 1;
            if self.is_op(Op::LParen) {
                // `(( arithmetic ))`: read as words.
                self.pos += 1;
            }
            let body = self.list(&[]);
            self.skip(&[Op::RParen]);
            return Some(Stmt::Group(body));
        }
        match self.keyword() {
            Some("if") => Some(self.if_()),
            Some(w @ ("while" | "until")) => {
                let until = w == "until";
                self.pos += 1;
                let cond = self.list(&["do"]);
                self.eat_keyword("do");
                let body = self.list(&["done"]);
                self.eat_keyword("done");
                Some(Stmt::Loop { until, cond, body })
            }
            Some("for") => Some(self.for_()),
            Some("case") => Some(self.case()),
            Some("{") => {
                self.pos += 1;
                let body = self.list(&["}"]);
                self.eat_keyword("}");
                Some(Stmt::Group(body))
            }
            Some("function") => {
                self.pos += 1;
                let name = self.word().unwrap_or_default();
                if self.is_op(Op::LParen) {
                    self.pos += 1;
                    self.skip(&[Op::RParen]);
                }
                self.skip(&[Op::Newline]);
                let body = self.command(stops).map(|b| vec![b]).unwrap_or_default();
                Some(Stmt::Function { name, body })
            }
            Some(name)
                if self.toks.get(self.pos + 1) == Some(&Tok::Op(Op::LParen))
                    && self.toks.get(self.pos + 2) == Some(&Tok::Op(Op::RParen)) =>
            {
                let name = name.to_string();
                self.pos += 3;
                self.skip(&[Op::Newline]);
                let body = self.command(stops).map(|b| vec![b]).unwrap_or_default();
                Some(Stmt::Function { name, body })
            }
            _ => self.simple(),
        }
    }

    fn word(&mut self) -> Option<String> {
        match self.peek() {
            Some(Tok::Word { text, .. }) => {
                let text = text.clone();
                self.pos += 1;
                Some(text)
            }
            _ => None,
        }
    }

    fn if_(&mut self) -> Stmt {
        self.pos += 1;
        let mut arms = Vec::new();
        let mut otherwise = Vec::new();
        loop {
            let cond = self.list(&["then"]);
            self.eat_keyword("then");
            let body = self.list(&["elif", "else", "fi"]);
            arms.push((cond, body));
            if self.eat_keyword("elif") {
                continue;
            }
            if self.eat_keyword("else") {
                otherwise = self.list(&["fi"]);
            }
            self.eat_keyword("fi");
            break;
        }
        Stmt::If { arms, otherwise }
    }

    fn for_(&mut self) -> Stmt {
        self.pos += 1;
        if self.is_op(Op::LParen) {
            // `for ((i = 0; i < n; i++))`
            while self.peek().is_some() && self.keyword() != Some("do") {
                self.pos += 1;
            }
            self.eat_keyword("do");
            let body = self.list(&["done"]);
            self.eat_keyword("done");
            return Stmt::For { var: String::new(), items: None, body };
        }
        let var = self.word().unwrap_or_default();
        self.skip(&[Op::Newline]);
        let items = self.eat_keyword("in").then(|| {
            let mut items = Vec::new();
            while let Some(Tok::Word { text, .. }) = self.peek() {
                items.push(text.clone());
                self.pos += 1;
            }
            items
        });
        self.skip(&[Op::Newline, Op::Semi]);
        self.eat_keyword("do");
        let body = self.list(&["done"]);
        self.eat_keyword("done");
        Stmt::For { var, items, body }
    }

    fn case(&mut self) -> Stmt {
        self.pos += 1;
        let word = self.word().unwrap_or_default();
        self.skip(&[Op::Newline]);
        self.eat_keyword("in");
        let mut arms = Vec::new();
        loop {
            self.skip(&[Op::Newline, Op::Semi]);
            if self.peek().is_none() || self.eat_keyword("esac") {
                break;
            }
            // The pattern, up to its `)`.
            if self.is_op(Op::LParen) {
                self.pos += 1;
            }
            while self.peek().is_some_and(|t| *t != Tok::Op(Op::RParen)) {
                self.pos += 1;
            }
            self.pos += 1;
            arms.push(self.list(&["esac"]));
            self.skip(&[Op::DSemi]);
        }
        Stmt::Case { word, arms }
    }

    fn simple(&mut self) -> Option<Stmt> {
        let mut assigns = Vec::new();
        let mut words = Vec::new();
        let mut redirects = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Word { text, plain_head, .. }) => {
                    match assignment(text).filter(|_| words.is_empty() && *plain_head) {
                        Some((n, v)) => assigns.push((n.to_string(), v.to_string())),
                        None => words.push(text.clone()),
                    }
                    self.pos += 1;
                }
                Some(Tok::Op(Op::Redirect)) => {
                    self.pos += 1;
                    if let Some(target) = self.word() {
                        redirects.push(target);
                    }
                }
                _ => break,
            }
        }
        (!(assigns.is_empty() && words.is_empty() && redirects.is_empty())).then_some(Stmt::Simple {
            assigns,
            words,
            redirects,
        })
    }
}

#[cfg(test)]
#[path = "shell_tests.rs"]
mod tests;
