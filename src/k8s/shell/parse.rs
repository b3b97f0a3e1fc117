//! The shell reader's parser: statements from tokens, by recursive descent with a depth bound.

use super::Stmt;
use super::assignment;
use super::lex::{Op, Tok, tokenize};

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
