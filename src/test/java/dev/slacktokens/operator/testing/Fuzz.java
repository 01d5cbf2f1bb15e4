package dev.slacktokens.operator.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A small seeded generator and property runner for fuzz and property tests (no third-party engine: plain JUnit 5).
 * Every case gets its own seed derived from the run's base seed, printed with any failure, so a failure reproduces
 * with {@code -Dfuzz.seed=<base>} (the whole run) and the case index names the input. No shrinking: inputs are
 * printed escaped and cut, and are generated here, never tokens.
 */
public final class Fuzz {

    /** Fixed by default so CI runs the same cases; override with {@code -Dfuzz.seed=N} to explore. */
    public static final long BASE_SEED = Long.getLong("fuzz.seed", 20260601L);

    private static final String URL_SPECIAL = "%&=;#?+/\\\"'<>{}[]|^`~ ,.:@!$()*";
    private static final String B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final String[] UNICODE = { "é", "ß", "Ω", "ж", "中", "日本", "\u202e", "\u200b", "\ufeff", "😀",
        "𝔘", "\u0301", "ﬀ", "İ", "\u00a0", "\u2028" };
    private static final String[] CONTROL = { "\u0000", "\t", "\r", "\n", "\r\n", "\u001b", "\u007f" };

    private Fuzz() {
    }

    /** Runs {@code check} on {@code cases} generated inputs; a failure names the property, case, seed and input. */
    public static <T> void forAll(String property, int cases, Function<SplittableRandom, T> generator,
            Consumer<T> check) {
        long base = BASE_SEED ^ property.hashCode();
        for (int i = 0; i < cases; i++) {
            long caseSeed = base + i * 0x9E3779B97F4A7C15L;
            T input = generator.apply(new SplittableRandom(caseSeed));
            try {
                check.accept(input);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(property + ": case " + i + " of " + cases + " failed (base seed "
                        + BASE_SEED + ", case seed " + caseSeed + "), input " + describe(input) + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** An input for a failure message: escaped, cut to 200 characters, with its length. */
    public static String describe(Object input) {
        String s = String.valueOf(input);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 200; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return TokenLeaks.redact("[" + s.length() + " chars] " + out + (out.length() >= 200 ? "…" : ""));
    }

    // ------------------------------------------------------------------ generators

    @SafeVarargs
    public static <T> T oneOf(SplittableRandom r, T... choices) {
        return choices[r.nextInt(choices.length)];
    }

    public static <T> T oneOf(SplittableRandom r, List<T> choices) {
        return choices.get(r.nextInt(choices.size()));
    }

    /** Random text of up to {@code maxLength} chars mixing ASCII, URL-special, base64url, unicode and controls. */
    public static String text(SplittableRandom r, int maxLength) {
        int length = r.nextInt(maxLength + 1);
        StringBuilder out = new StringBuilder(length);
        int flavour = r.nextInt(5);
        while (out.length() < length) {
            int pick = flavour == 4 ? r.nextInt(5) : flavour;
            switch (pick) {
                case 0 -> out.append((char) (0x20 + r.nextInt(0x5f)));
                case 1 -> out.append(URL_SPECIAL.charAt(r.nextInt(URL_SPECIAL.length())));
                case 2 -> out.append(B64URL.charAt(r.nextInt(B64URL.length())));
                case 3 -> out.append(oneOf(r, UNICODE));
                default -> out.append(r.nextInt(4) == 0 ? oneOf(r, CONTROL) : oneOf(r, UNICODE));
            }
        }
        return out.toString();
    }

    /** Printable ASCII of up to {@code maxLength} chars: survives in a header without being rejected by the client. */
    public static String printable(SplittableRandom r, int maxLength) {
        return printableOf(r, r.nextInt(maxLength + 1));
    }

    private static String printableOf(SplittableRandom r, int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) (0x21 + r.nextInt(0x5e)));
        }
        return out.toString();
    }

    /** Base64 of every flavour, padded or not, of random bytes, sometimes with a dot in the middle. */
    public static String base64Garbage(SplittableRandom r) {
        byte[] bytes = new byte[r.nextInt(200)];
        r.nextBytes(bytes);
        String s = r.nextBoolean() ? Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
                : Base64.getEncoder().encodeToString(bytes);
        if (r.nextBoolean() && s.length() > 2) {
            int at = 1 + r.nextInt(s.length() - 1);
            s = s.substring(0, at) + "." + s.substring(at);
        }
        return s;
    }

    /** A payload.mac pair whose payload is base64 of JSON-ish text (wrong shapes, wrong types, extreme values). */
    public static String jsonishSigned(SplittableRandom r) {
        String json = oneOf(r, "{}", "[]", "null", "1", "\"x\"", "{\"k\":\"state\"}", "{\"k\":\"other\",\"exp\":1}",
                "{\"k\":\"state\",\"exp\":99999999999999999999}", "{\"k\":\"link\",\"ns\":{},\"n\":[]}",
                "{\"k\":\"state\",\"exp\":-9223372036854775808}", "{\"k\":\"state\"" + text(r, 20));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8)) + "."
                + base64Garbage(r).replace(".", "");
    }

    /** One to three random edits of {@code s}; never returns {@code s} itself. */
    public static String mutate(SplittableRandom r, String s) {
        String out = s;
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) {
            out = mutateOnce(r, out);
        }
        return out.equals(s) ? s + oneOf(r, "A", ".", "=", "%", "é") : out;
    }

    private static String mutateOnce(SplittableRandom r, String s) {
        int n = s.length();
        int at = n == 0 ? 0 : r.nextInt(n);
        return switch (r.nextInt(11)) {
            case 0 -> n == 0 ? "x" : s.substring(0, at) + flip(s.charAt(at)) + s.substring(at + 1);
            case 1 -> s.substring(0, at) + s.substring(Math.min(n, at + 1 + r.nextInt(8)));
            case 2 -> s.substring(0, at) + text(r, 6) + s.substring(at);
            case 3 -> s.substring(0, at);
            case 4 -> s + s;
            case 5 -> s.contains(".") ? s.substring(s.indexOf('.') + 1) + "." + s.substring(0, s.indexOf('.')) : s + ".";
            case 6 -> s.replace('.', oneOf(r, '_', '-', '~', ' '));
            case 7 -> swapCase(s);
            case 8 -> s + oneOf(r, "=", "==", "%3D", ".", "..", " ", "\u0000");
            case 9 -> s.substring(at) + s.substring(0, at);
            default -> s.substring(0, at) + oneOf(r, UNICODE) + s.substring(at);
        };
    }

    private static char flip(char c) {
        char f = (char) (c ^ 1);
        return f == c ? 'x' : f;
    }

    private static String swapCase(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            out.append(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
        }
        return out.toString();
    }

    /** A long value: 4 KB to 64 KB, of one repeated or random character class. */
    public static String huge(SplittableRandom r) {
        int length = 4096 + r.nextInt(60 * 1024);
        return r.nextBoolean() ? "A".repeat(length) : printableOf(r, length);
    }

    /** Random ASCII bytes and random binary, for bodies. */
    public static byte[] bytes(SplittableRandom r, int maxLength) {
        byte[] b = new byte[r.nextInt(maxLength + 1)];
        r.nextBytes(b);
        return b;
    }

    /** A few values of a list, in random order (for duplicated parameters). */
    public static <T> List<T> some(SplittableRandom r, List<T> from, int max) {
        List<T> out = new ArrayList<>();
        int n = 1 + r.nextInt(max);
        for (int i = 0; i < n; i++) {
            out.add(oneOf(r, from));
        }
        return out;
    }
}
