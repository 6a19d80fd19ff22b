package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The encoding tables and the field extractors agree: every run of a letter that {@link Fields#NAMED}
 * names lies exactly on the bits one of that letter's extractors reads, and the extractors read the bits
 * and sign-extend the way the Arm ARM's encoding diagrams and pseudocode (SignExtend(imm19:'00')...) say.
 */
class FieldsTest {
    @Test
    void everyRunOfANamedLetterIsOneOfItsFields() {
        Map<Character, Set<Integer>> fields = new HashMap<>();
        for (Fields.Named f : Fields.NAMED) fields.computeIfAbsent(f.letter(), k -> new HashSet<>()).add(f.bits());
        List<String> stray = new ArrayList<>();
        for (Encoding e : Decoder.encodings())
            for (int[] run : runs(e.pattern()))
                if (fields.containsKey((char) run[0]) && !fields.get((char) run[0]).contains(mask(run[1], run[2])))
                    stray.add(e.name() + " " + e.pattern() + ": " + (char) run[0] + "[" + run[1] + ":" + run[2] + "]");
        assertEquals(List.of(), stray, "pattern letters at bits no extractor of theirs reads");
    }

    @Test
    void everyNamedFieldMarksSomeEncoding() {
        Set<String> seen = new HashSet<>();
        for (Encoding e : Decoder.encodings())
            for (int[] run : runs(e.pattern())) seen.add((char) run[0] + ":" + mask(run[1], run[2]));
        List<String> unused = new ArrayList<>();
        for (Fields.Named f : Fields.NAMED) if (!seen.contains(f.letter() + ":" + f.bits())) unused.add(f.name());
        assertEquals(List.of(), unused, "fields no pattern marks");
    }

    /** Name, bits [hi:lo] and signedness of each field, from the Arm ARM's A64 encoding index. */
    @Test
    void extractorsReadTheArmArmsBits() {
        Object[][] arm = {
                {"Rd", 4, 0, false}, {"Rt", 4, 0, false}, {"Rn", 9, 5, false}, {"Rm", 20, 16, false},
                {"Rs", 20, 16, false}, {"Rt2", 14, 10, false}, {"Ra", 14, 10, false}, {"Q", 30, 30, false},
                {"imm26", 25, 0, true}, {"imm19", 23, 5, true}, {"imm14", 18, 5, true}, {"imm16", 20, 5, false},
                {"imm12", 21, 10, false}, {"imm9", 20, 12, true}, {"imm7", 21, 15, true}, {"imm6", 15, 10, false},
                {"imm5", 20, 16, false}, {"imm4", 14, 11, false}, {"imm3", 12, 10, false}, {"imm8", 20, 13, false},
                {"abc", 18, 16, false}, {"defgh", 9, 5, false},
        };
        assertEquals(arm.length, Fields.NAMED.size());
        for (Object[] a : arm) {
            Fields.Named f = Fields.NAMED.stream().filter(n -> n.name().equals(a[0])).findFirst().orElseThrow();
            int hi = (int) a[1], lo = (int) a[2], width = hi - lo + 1;
            assertEquals(mask(hi, lo), f.bits(), f.name() + " bits");
            int all = mask(hi, lo), top = 1 << hi;
            long expectAll = (boolean) a[3] ? -1 : (1L << width) - 1;
            assertEquals(expectAll, f.extractor().applyAsInt(all), f.name() + " with every bit set");
            long expectTop = (boolean) a[3] ? -(1L << (width - 1)) : 1L << (width - 1);
            assertEquals(expectTop, f.extractor().applyAsInt(top | ~all & 0x5555_5555 & ~all), f.name() + " top bit only");
        }
    }

    /** Each maximal run of one letter in a pattern: {letter, hi, lo}. */
    private static List<int[]> runs(String pattern) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < 32; ) {
            char c = pattern.charAt(i);
            int j = i;
            while (j < 32 && pattern.charAt(j) == c) j++;
            if (Character.isLetter(c) && c != 'x') out.add(new int[] {c, 31 - i, 32 - j});
            i = j;
        }
        return out;
    }

    private static int mask(int hi, int lo) { return (int) (((1L << (hi - lo + 1)) - 1) << lo); }
}
