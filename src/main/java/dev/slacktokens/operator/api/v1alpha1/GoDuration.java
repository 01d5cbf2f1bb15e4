package dev.slacktokens.operator.api.v1alpha1;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;

/** Parses Kubernetes-style durations ({@code 2h}, {@code 90m}, {@code 1h30m}, {@code 1.5h}). */
public final class GoDuration {

    private static final java.util.regex.Pattern PART = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    private GoDuration() {
    }

    public static Duration parse(String text) {
        if (text == null || !text.matches(Patterns.DURATION)) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 2h, 90m, 1h30m)");
        }
        Matcher m = PART.matcher(text);
        BigDecimal millis = BigDecimal.ZERO;
        while (m.find()) {
            BigDecimal n = new BigDecimal(m.group(1));
            long unit = switch (m.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                default -> 3_600_000L;
            };
            millis = millis.add(n.multiply(BigDecimal.valueOf(unit)));
        }
        return Duration.ofMillis(millis.longValue());
    }
}
