//! The answer's language, read from its prose (code spans and fenced blocks hold alert text and
//! commands, which are not prose): a Japanese answer has kana; an English one has no kana or
//! kanji.

/// Checks that `answer` is written in `expected` (`en` or `ja`); `Err` says what was found.
pub fn check_language(answer: &str, expected: &str) -> Result<(), String> {
    let prose = prose_of(answer);
    let kana = prose.chars().filter(|character| ('\u{3040}'..='\u{30ff}').contains(character)).count();
    let kanji = prose.chars().filter(|character| ('\u{4e00}'..='\u{9fff}').contains(character)).count();
    let ascii_letters = prose.chars().filter(char::is_ascii_alphabetic).count();
    match expected {
        "ja" if kana > 0 => Ok(()),
        "ja" => Err(format!("no kana in the prose ({ascii_letters} ASCII letters)")),
        _ if kana + kanji == 0 => Ok(()),
        _ => Err(format!("{kana} kana and {kanji} kanji in the prose of an English answer")),
    }
}

/// The answer without fenced blocks and inline code spans.
fn prose_of(answer: &str) -> String {
    let mut prose = String::with_capacity(answer.len());
    let mut in_block = false;
    for line in answer.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        let mut in_code = false;
        for character in line.chars() {
            if character == '`' {
                in_code = !in_code;
            } else if !in_code {
                prose.push(character);
            }
        }
        prose.push('\n');
    }
    prose
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_not_prose() {
        assert_eq!(check_language("**300件**のアラートがあります。`risk-10`", "ja"), Ok(()));
        assert!(check_language("300 alerts in `risk-10`", "ja").is_err());
        assert_eq!(check_language("300 alerts in `ログ`\n```\n日本語\n```", "en"), Ok(()));
        assert!(check_language("300 alerts です", "en").is_err());
    }
}
