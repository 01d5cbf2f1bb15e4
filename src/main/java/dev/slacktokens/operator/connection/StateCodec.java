package dev.slacktokens.operator.connection;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Signs and verifies the two opaque strings of the OAuth flow with HMAC-SHA256: the long-lived authorize
 * <em>link</em> published in status, and the 10-minute <em>state</em> sent through Slack. Both bind
 * {namespace, name, uid}; the kind is signed too, so one can never be used as the other. URL-safe, constant-time
 * verification, no secret inside (the payload is only signed, not encrypted: it holds names, not tokens).
 */
public class StateCodec {

    public static final Duration STATE_VALIDITY = Duration.ofMinutes(10);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a link or a state says. {@code nonce} is empty for links. {@code generation} is the number of completed
     * authorizations of the connection when the link was signed: a link (and the states minted from it) is good for
     * the next authorization only (absent in links signed before it existed: 0).
     */
    public record Claims(@JsonProperty("k") Kind kind, @JsonProperty("ns") String namespace,
            @JsonProperty("n") String name, @JsonProperty("u") String uid, @JsonProperty("nc") String nonce,
            @JsonProperty("exp") long expiresAtEpochSecond, @JsonProperty("g") long generation) {

        public Instant expiresAt() {
            return Instant.ofEpochSecond(expiresAtEpochSecond);
        }
    }

    public enum Kind {
        link, state
    }

    /** Why a string was refused; each maps to a specific page. */
    public enum Problem {
        MALFORMED, BAD_SIGNATURE, WRONG_KIND, EXPIRED
    }

    public static final class InvalidException extends Exception {
        private final Problem problem;

        InvalidException(Problem problem) {
            super("OAuth " + problem.name().toLowerCase().replace('_', ' '), null, false, false);
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }

    private final byte[] key;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public StateCodec(byte[] key, Clock clock) {
        if (key.length < 32) {
            throw new IllegalArgumentException("the state key must have at least 256 bits");
        }
        this.key = key.clone();
        this.clock = clock;
    }

    public String signLink(String namespace, String name, String uid, long generation, Duration validity) {
        return sign(new Claims(Kind.link, namespace, name, uid, "", clock.instant().plus(validity).getEpochSecond(),
                generation));
    }

    /** A fresh state with a random nonce, valid {@link #STATE_VALIDITY}, for the same authorization as its link. */
    public Claims newState(String namespace, String name, String uid, long generation) {
        byte[] nonce = new byte[24];
        random.nextBytes(nonce);
        return new Claims(Kind.state, namespace, name, uid, B64.encodeToString(nonce),
                clock.instant().plus(STATE_VALIDITY).getEpochSecond(), generation);
    }

    public String sign(Claims claims) {
        try {
            String payload = B64.encodeToString(JSON.writeValueAsBytes(claims));
            return payload + "." + B64.encodeToString(mac("v1." + payload));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public Claims verify(String signed, Kind expected) throws InvalidException {
        if (signed == null || signed.length() > 4096) {
            throw new InvalidException(Problem.MALFORMED);
        }
        int dot = signed.indexOf('.');
        if (dot <= 0 || dot != signed.lastIndexOf('.')) {
            throw new InvalidException(Problem.MALFORMED);
        }
        String payload = signed.substring(0, dot);
        // The MAC is compared as issued text: decoding first would accept other spellings of the same bytes
        // (base64url's spare low bits in the last character, optional padding).
        byte[] expectedMac = B64.encodeToString(mac("v1." + payload)).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expectedMac, signed.substring(dot + 1).getBytes(StandardCharsets.US_ASCII))) {
            throw new InvalidException(Problem.BAD_SIGNATURE);
        }
        Claims claims;
        try {
            claims = JSON.readValue(B64D.decode(payload), Claims.class);
        } catch (Exception e) {
            throw new InvalidException(Problem.MALFORMED);
        }
        if (claims == null) {
            throw new InvalidException(Problem.MALFORMED);
        }
        if (claims.kind() != expected) {
            throw new InvalidException(Problem.WRONG_KIND);
        }
        if (blank(claims.namespace()) || blank(claims.name()) || blank(claims.uid())
                || (expected == Kind.state && blank(claims.nonce()))) {
            throw new InvalidException(Problem.MALFORMED);
        }
        // In epoch seconds: Instant cannot hold every long, and the expiry is whole seconds anyway.
        if (clock.instant().getEpochSecond() >= claims.expiresAtEpochSecond()) {
            throw new InvalidException(Problem.EXPIRED);
        }
        return claims;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /**
     * The PKCE code verifier of a state: derived from its nonce with the key, so it is never in a URL and need not
     * be stored. 43 URL-safe characters, as RFC 7636 requires at least.
     */
    public String pkceVerifier(String nonce) {
        return B64.encodeToString(mac("pkce." + nonce));
    }

    /** S256 challenge of a verifier. */
    public static String pkceChallenge(String verifier) {
        try {
            return B64.encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The browser-binding cookie value for a state: a keyed digest of its nonce (the nonce itself stays out). */
    public String cookieValue(String nonce) {
        return B64.encodeToString(mac("cookie." + nonce));
    }

    public boolean cookieMatches(String cookie, String nonce) {
        return cookie != null && MessageDigest.isEqual(cookie.getBytes(StandardCharsets.US_ASCII),
                cookieValue(nonce).getBytes(StandardCharsets.US_ASCII));
    }

    private byte[] mac(String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
