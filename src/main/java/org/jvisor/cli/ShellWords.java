package org.jvisor.cli;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Words written for a POSIX shell to read back: a word of characters the shell gives no meaning to stays
 * bare (so that an unquoted {@code $(...)} still splits it right), any other is single-quoted, the only
 * quoting in which nothing but the quote itself is special.
 */
final class ShellWords {
    /** Neither split by the default IFS, nor globbed, expanded or tilde-expanded by a shell. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellWords() {}

    static String quote(String word) {
        if (PLAIN.matcher(word).matches()) return word;
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** The words, each quoted as needed, separated by spaces. */
    static String join(List<String> words) {
        return words.stream().map(ShellWords::quote).collect(Collectors.joining(" "));
    }
}
