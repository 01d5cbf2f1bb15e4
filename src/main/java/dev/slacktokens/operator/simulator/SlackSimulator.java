package dev.slacktokens.operator.simulator;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The state machine behind the Slack simulator: apps, workspaces, users, consents, authorization codes, tokens
 * and their rotation, faults and counters, following {@code shared/slack-api.md}. It knows nothing of HTTP:
 * {@link SimulatorResource} maps requests onto it. Time comes from the injected clock only.
 */
public class SlackSimulator {

    static final Pattern SCOPE = Pattern.compile("^[a-z][a-z0-9._-]*(:[a-z0-9._-]+)*$");
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final int MAX_LIVE_ACCESS_TOKENS = 2;
    private static final int MAX_MESSAGES = 1000;
    private static final Duration PKCE_REFRESH_LIFETIME = Duration.ofDays(30);

    public record App(String clientId, String clientSecret, String appId, boolean rotation, boolean pkce,
            List<String> redirectUrls) {
        public App {
            redirectUrls = redirectUrls == null ? List.of() : List.copyOf(redirectUrls);
            Objects.requireNonNull(clientId, "clientId");
        }
    }

    public record Team(String id, String name, String domain, String enterpriseId, String enterpriseName) {
    }

    public record User(String id, String teamId, String name) {
    }

    /**
     * What the next visitor of the authorize page does.
     *
     * @param userId            who consents
     * @param deny              answer access_denied instead
     * @param enterpriseInstall install org-wide (team null in the response)
     * @param declineScopes     requested user scopes the user declines (optional scopes)
     */
    public record Consent(String userId, boolean deny, boolean enterpriseInstall, List<String> declineScopes) {
        public Consent {
            declineScopes = declineScopes == null ? List.of() : List.copyOf(declineScopes);
        }
    }

    /** The outcome of the authorize page: a redirect back to the app, or Slack's own error page. */
    public sealed interface AuthorizeResult {
        record Redirect(URI location) implements AuthorizeResult {
        }

        record ErrorPage(String error, String description) implements AuthorizeResult {
        }
    }

    private record Code(String value, String clientId, String redirectUri, String userId, String teamId,
            boolean enterpriseInstall, List<String> userScopes, List<String> botScopes, Instant issuedAt,
            String codeChallenge) {
    }

    private enum Kind {
        ACCESS, REFRESH
    }

    /** A token the simulator issued. Mutable fields are guarded by the simulator's lock. */
    private static final class Token {
        final String value;
        final Kind kind;
        final String type; // user | bot
        final String clientId;
        final String teamId;
        final boolean enterpriseInstall;
        final String userId; // the authorizing user (for bot tokens too)
        final String botUserId;
        final List<String> scopes;
        final Instant issuedAt;
        final Instant expiresAt; // null: never expires
        long serial; // order of issue: tells apart tokens issued in the same instant
        boolean revoked;
        Instant usedAt; // refresh tokens: first use
        Token mintedAccess; // refresh tokens: the pair the first use minted
        Token mintedRefresh;
        String legacyOrigin; // pair minted by oauth.v2.exchange: the long-lived token it replaced
        boolean exchanged; // long-lived tokens: already converted

        Token(String value, Kind kind, String type, String clientId, String teamId, boolean enterpriseInstall,
                String userId, String botUserId, List<String> scopes, Instant issuedAt, Instant expiresAt) {
            this.value = value;
            this.kind = kind;
            this.type = type;
            this.clientId = clientId;
            this.teamId = teamId;
            this.enterpriseInstall = enterpriseInstall;
            this.userId = userId;
            this.botUserId = botUserId;
            this.scopes = List.copyOf(scopes);
            this.issuedAt = issuedAt;
            this.expiresAt = expiresAt;
        }

        boolean expired(Instant now) {
            return expiresAt != null && !now.isBefore(expiresAt);
        }

        boolean live(Instant now) {
            return !revoked && !expired(now);
        }
    }

    private final Clock clock;
    private final SecureRandom tokenRandom = new SecureRandom();
    private long tokensMinted;
    private final String signingSecret;
    private final Consent defaultConsentAtStart;
    private final List<App> initialApps;
    private final List<Team> initialTeams;
    private final List<User> initialUsers;
    private final SimulatorSettings initialSettings;
    private final long faultSeed;

    private Random faultRandom;
    private SimulatorSettings settings;
    private final Map<String, App> apps = new LinkedHashMap<>();
    private final Map<String, Team> teams = new LinkedHashMap<>();
    private final Map<String, User> users = new LinkedHashMap<>();
    private final Map<String, Code> codes = new HashMap<>();
    private final java.util.Set<String> usedCodes = new java.util.HashSet<>();
    private final Map<String, Token> tokens = new HashMap<>();
    private final Deque<Consent> nextConsents = new ArrayDeque<>();
    private Consent defaultConsent;
    private final List<FaultRule> faults = new ArrayList<>();
    private final Map<FaultRule, Integer> faultFired = new HashMap<>();
    private final Map<String, Deque<Instant>> callWindows = new HashMap<>();
    private final Deque<Map<String, Object>> messages = new ArrayDeque<>();
    private final Map<String, Long> counters = new TreeMap<>();

    public SlackSimulator(Clock clock, App defaultApp, Team defaultTeam, User defaultUser, String signingSecret,
            SimulatorSettings settings, long faultSeed) {
        this.clock = clock;
        this.signingSecret = signingSecret;
        this.initialApps = List.of(defaultApp);
        this.initialTeams = List.of(defaultTeam);
        this.initialUsers = List.of(defaultUser);
        this.initialSettings = settings;
        this.faultSeed = faultSeed;
        this.defaultConsentAtStart = new Consent(defaultUser.id(), false, false, List.of());
        reset();
    }

    /** Forgets every code, token, fault, consent and counter, and restores the start-up apps, teams and users. */
    public synchronized void reset() {
        apps.clear();
        teams.clear();
        users.clear();
        codes.clear();
        usedCodes.clear();
        tokens.clear();
        nextConsents.clear();
        faults.clear();
        faultFired.clear();
        callWindows.clear();
        messages.clear();
        counters.clear();
        initialApps.forEach(a -> apps.put(a.clientId(), a));
        initialTeams.forEach(t -> teams.put(t.id(), t));
        initialUsers.forEach(u -> users.put(u.id(), u));
        defaultConsent = defaultConsentAtStart;
        settings = initialSettings;
        faultRandom = new Random(faultSeed);
    }

    public Clock clock() {
        return clock;
    }

    public String signingSecret() {
        return signingSecret;
    }

    // ---------------------------------------------------------------- admin

    public synchronized SimulatorSettings settings() {
        return settings;
    }

    public synchronized void updateSettings(SimulatorSettings newSettings) {
        settings = Objects.requireNonNull(newSettings);
    }

    public synchronized void putApp(App app) {
        apps.put(app.clientId(), app);
    }

    public synchronized List<App> apps() {
        return List.copyOf(apps.values());
    }

    public synchronized void putTeam(Team team) {
        teams.put(team.id(), team);
    }

    public synchronized void putUser(User user) {
        if (!teams.containsKey(user.teamId())) {
            throw new IllegalArgumentException("unknown team " + user.teamId());
        }
        users.put(user.id(), user);
    }

    /** Sets who consents from now on. */
    public synchronized void setDefaultConsent(Consent consent) {
        requireUser(consent.userId());
        defaultConsent = consent;
    }

    /** Queues a one-time decision for the next authorize visit (before the default applies again). */
    public synchronized void queueConsent(Consent consent) {
        requireUser(consent.userId());
        nextConsents.addLast(consent);
    }

    public synchronized void addFault(FaultRule rule) {
        faults.add(rule);
    }

    public synchronized void clearFaults() {
        faults.clear();
        faultFired.clear();
    }

    public synchronized List<FaultRule> faults() {
        return List.copyOf(faults);
    }

    /** Issues a long-lived (non-rotating) user token, as an app without rotation would have. */
    public synchronized String issueLegacyUserToken(String clientId, String userId, List<String> scopes) {
        App app = requireApp(clientId);
        User user = requireUser(userId);
        Token token = mint(Kind.ACCESS, "user", app.clientId(), user.teamId(), false, user.id(), null, scopes,
                "xoxp-" + digits(12) + "-" + digits(12) + "-" + digits(13) + "-" + random(32), clock.instant(), null);
        count("legacy_tokens_issued");
        return token.value;
    }

    /**
     * For benchmarks: {@code count} users {@code <prefix>000001…} of a team, each holding a rotating user pair of
     * the app as if each had consented (the consent flow costs four HTTP round trips a user). Returns, per user, what
     * a consent's token response would carry.
     */
    public synchronized List<Map<String, Object>> mintGrants(String clientId, String teamId, String prefix, int count,
            List<String> scopes) {
        App app = requireApp(clientId);
        if (!app.rotation()) {
            throw new IllegalArgumentException("minted grants rotate: the app must have token rotation on");
        }
        List<Map<String, Object>> grants = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String id = String.format("%s%06d", prefix, i);
            putUser(new User(id, teamId, id.toLowerCase()));
            Token[] pair = issuePair(app, "user", teamId, false, id, null, scopes);
            Map<String, Object> grant = new LinkedHashMap<>();
            grant.put("user_id", id);
            grant.put("team_id", teamId);
            grant.put("app_id", app.appId());
            grant.put("scope", String.join(",", scopes));
            grant.put("issued_at", pair[0].issuedAt.toString());
            putTokenFields(grant, pair, "user");
            grants.add(grant);
        }
        count("grants_minted", count);
        return grants;
    }

    /** Revokes every token of a user (as when the user is deactivated). Returns how many were live. */
    public synchronized int revokeUserTokens(String userId) {
        Instant now = clock.instant();
        int n = 0;
        for (Token t : tokens.values()) {
            if (userId.equals(t.userId) && !t.revoked) {
                if (t.kind == Kind.ACCESS && t.live(now)) {
                    n++;
                }
                t.revoked = true;
            }
        }
        count("revocations", n);
        return n;
    }

    /** Revokes the bot tokens of a bot user (what a tokens_revoked event lists under tokens.bot). */
    public synchronized int revokeBotTokens(String botUserId) {
        int n = 0;
        for (Token t : tokens.values()) {
            if ("bot".equals(t.type) && botUserId.equals(t.botUserId) && !t.revoked) {
                t.revoked = true;
                n++;
            }
        }
        count("revocations", n);
        return n;
    }

    /** Revokes every token of an app in a workspace (as apps.uninstall does). */
    public synchronized int revokeTeamTokens(String clientId, String teamId) {
        int n = 0;
        for (Token t : tokens.values()) {
            if (t.clientId.equals(clientId) && teamId.equals(t.teamId) && !t.revoked) {
                t.revoked = true;
                n++;
            }
        }
        count("revocations", n);
        return n;
    }

    public synchronized Map<String, Object> stats() {
        Instant now = clock.instant();
        Map<String, Object> out = new LinkedHashMap<>(counters);
        Map<String, Long> live = new TreeMap<>();
        for (Token t : tokens.values()) {
            if (t.kind == Kind.ACCESS && "user".equals(t.type) && t.live(now)) {
                live.merge(t.userId, 1L, Long::sum);
            }
        }
        out.put("live_user_access_tokens", live);
        out.put("now", now.toString());
        return out;
    }

    public synchronized long counter(String name) {
        return counters.getOrDefault(name, 0L);
    }

    public synchronized List<Map<String, Object>> messages() {
        return List.copyOf(messages);
    }

    // ---------------------------------------------------------------- faults and rate limits

    /** Decides, before a Web API method runs, whether a fault or a rate limit answers instead. */
    public synchronized FaultDecision beforeCall(String method) {
        return beforeCall(method, null);
    }

    /**
     * The same, for a call made with a token (the refresh token of a refresh, the bearer token otherwise), so that a
     * fault can target user or bot tokens only.
     */
    public synchronized FaultDecision beforeCall(String method, String tokenValue) {
        Token used = tokenValue == null ? null : tokens.get(tokenValue);
        String tokenType = used == null ? null : used.type;
        long latency = 0;
        SimResponse answer = null;
        boolean afterAction = false;
        for (FaultRule rule : faults) {
            if (!rule.matches(method, tokenType) || (answer != null && rule.altersAnswer())) {
                continue;
            }
            int fired = faultFired.getOrDefault(rule, 0);
            if (rule.count() >= 0 && fired >= rule.count()) {
                continue;
            }
            if (rule.probability() < 1 && faultRandom.nextDouble() >= rule.probability()) {
                continue;
            }
            faultFired.put(rule, fired + 1);
            latency = Math.max(latency, rule.latencyMillis());
            afterAction |= rule.afterAction();
            if (answer == null && rule.altersAnswer()) {
                answer = rule.answer();
                count("faults_injected");
            }
        }
        if (afterAction) {
            count("faults_after_action");
        }
        if (answer == null) {
            SimResponse limited = rateLimit(method);
            if (limited != null) {
                // Slack refuses a call over its limit without acting on it.
                return new FaultDecision(latency, limited, false);
            }
        }
        return new FaultDecision(latency, answer, afterAction);
    }

    /**
     * Latency to add and, if not null, the answer that replaces the method's own; {@code afterAction}: the method runs
     * first (its effects happen) and only what the caller sees is delayed or replaced.
     */
    public record FaultDecision(long latencyMillis, SimResponse answer, boolean afterAction) {
    }

    private SimResponse rateLimit(String method) {
        Integer perMinute = settings.rateLimitsPerMinute().get(method);
        if (perMinute == null || perMinute <= 0) {
            return null;
        }
        Instant now = clock.instant();
        Deque<Instant> window = callWindows.computeIfAbsent(method, m -> new ArrayDeque<>());
        while (!window.isEmpty() && !window.peekFirst().isAfter(now.minusSeconds(60))) {
            window.pollFirst();
        }
        if (window.size() >= perMinute) {
            long retryAfter = Math.max(1, Duration.between(now, window.peekFirst().plusSeconds(60)).toSeconds());
            count("rate_limited");
            return SimResponse.rateLimited(retryAfter);
        }
        window.addLast(now);
        return null;
    }

    // ---------------------------------------------------------------- authorize

    public synchronized AuthorizeResult authorize(Map<String, String> params) {
        String clientId = params.get("client_id");
        App app = clientId == null ? null : apps.get(clientId);
        if (app == null) {
            return new AuthorizeResult.ErrorPage("invalid_client_id", "Unknown client_id.");
        }
        String redirectUri = params.get("redirect_uri");
        String redirectError = checkRedirect(app, redirectUri);
        if (redirectError != null) {
            return new AuthorizeResult.ErrorPage("bad_redirect_uri", redirectError);
        }
        List<String> userScopes = splitScopes(params.get("user_scope"));
        List<String> botScopes = splitScopes(params.get("scope"));
        if (userScopes.isEmpty() && botScopes.isEmpty()) {
            return new AuthorizeResult.ErrorPage("invalid_scope", "No scopes were requested.");
        }
        for (String s : concat(userScopes, botScopes)) {
            if (!SCOPE.matcher(s).matches()) {
                return new AuthorizeResult.ErrorPage("invalid_scope", "Invalid scope: " + s);
            }
        }
        String challenge = params.get("code_challenge");
        if (challenge != null && !"S256".equals(params.get("code_challenge_method"))) {
            return new AuthorizeResult.ErrorPage("invalid_code_challenge_method",
                    "Only code_challenge_method=S256 is supported.");
        }
        if (redirectUri == null) {
            redirectUri = app.redirectUrls().isEmpty() ? null : app.redirectUrls().get(0);
            if (redirectUri == null) {
                return new AuthorizeResult.ErrorPage("bad_redirect_uri", "No redirect_uri and none configured.");
            }
        }
        String state = params.get("state");
        Consent consent = nextConsents.isEmpty() ? defaultConsent : nextConsents.pollFirst();
        count("authorize_visits");
        if (consent.deny()) {
            count("consents_denied");
            return new AuthorizeResult.Redirect(withQuery(redirectUri, "error", "access_denied", "state", state));
        }
        User user = requireUser(consent.userId());
        List<String> granted = userScopes.stream().filter(s -> !consent.declineScopes().contains(s)).toList();
        String code = digits(12) + "." + digits(13) + "." + random(40);
        codes.put(code, new Code(code, app.clientId(), params.get("redirect_uri"), user.id(), user.teamId(),
                consent.enterpriseInstall(), granted, botScopes, clock.instant(), challenge));
        count("codes_issued");
        return new AuthorizeResult.Redirect(withQuery(redirectUri, "code", code, "state", state));
    }

    private String checkRedirect(App app, String redirectUri) {
        if (redirectUri == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(redirectUri);
        } catch (IllegalArgumentException e) {
            return "redirect_uri is not a URL";
        }
        boolean local = "localhost".equals(uri.getHost()) || "127.0.0.1".equals(uri.getHost())
                || "[::1]".equals(uri.getHost());
        if (!"https".equals(uri.getScheme()) && !("http".equals(uri.getScheme()) && local)) {
            return "redirect_uri must be https";
        }
        if (app.redirectUrls().isEmpty()) {
            return null;
        }
        for (String allowed : app.redirectUrls()) {
            if (redirectUri.equals(allowed) || redirectUri.startsWith(allowed.endsWith("/") ? allowed : allowed + "/")) {
                return null;
            }
        }
        return "redirect_uri does not match any Redirect URL of the app";
    }

    // ---------------------------------------------------------------- client authentication

    /** The app a request names (HTTP Basic first, then the form fields) and the secret it presented. */
    private record Caller(App app, String secret) {
        boolean secretMatches() {
            return secret != null && constantTimeEquals(secret, app.clientSecret());
        }
    }

    private Caller caller(Map<String, String> form, String basicUser, String basicPassword) {
        String clientId = basicUser != null ? basicUser : form.get("client_id");
        String secret = basicUser != null ? basicPassword : form.get("client_secret");
        return new Caller(clientId == null ? null : apps.get(clientId), secret);
    }

    // ---------------------------------------------------------------- oauth.v2.access

    /**
     * {@code oauth.v2.access}. {@code basicUser}/{@code basicPassword} are the HTTP Basic credentials, if any; the
     * form fields client_id/client_secret are accepted too.
     */
    public synchronized SimResponse oauthAccess(Map<String, String> form, String basicUser, String basicPassword) {
        count("oauth_v2_access_calls");
        Caller caller = caller(form, basicUser, basicPassword);
        App app = caller.app();
        if (app == null) {
            return SimResponse.error("invalid_client_id");
        }
        String grantType = form.getOrDefault("grant_type", "authorization_code");
        boolean pkceCall = form.containsKey("code_verifier")
                || (app.pkce() && caller.secret() == null && "refresh_token".equals(grantType));
        if (pkceCall && !app.pkce()) {
            return SimResponse.error("pkce_not_allowed");
        }
        if (!pkceCall && !caller.secretMatches()) {
            return SimResponse.error("bad_client_secret");
        }
        return switch (grantType) {
            case "authorization_code" -> exchangeCode(app, form);
            case "refresh_token" -> refresh(app, form.get("refresh_token"));
            default -> SimResponse.error("invalid_grant_type");
        };
    }

    private SimResponse exchangeCode(App app, Map<String, String> form) {
        String value = form.get("code");
        Code code = value == null ? null : codes.get(value);
        Instant now = clock.instant();
        if (code == null || usedCodes.contains(value) || !code.clientId().equals(app.clientId())
                || !now.isBefore(code.issuedAt().plusSeconds(settings.codeLifetimeSeconds()))) {
            count("codes_rejected");
            return SimResponse.error("invalid_code");
        }
        if (code.redirectUri() != null && !code.redirectUri().equals(form.get("redirect_uri"))) {
            count("codes_rejected");
            return SimResponse.error("bad_redirect_uri");
        }
        if (code.codeChallenge() != null || form.containsKey("code_verifier")) {
            String verifier = form.get("code_verifier");
            if (code.codeChallenge() == null || verifier == null || !code.codeChallenge().equals(s256(verifier))) {
                count("codes_rejected");
                return SimResponse.error("invalid_code_verifier");
            }
        }
        usedCodes.add(value);
        codes.remove(value);
        count("codes_exchanged");
        Team team = teams.get(code.teamId());
        boolean org = code.enterpriseInstall() && team.enterpriseId() != null;

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("app_id", app.appId());
        Map<String, Object> authedUser = new LinkedHashMap<>();
        authedUser.put("id", code.userId());
        if (!code.userScopes().isEmpty()) {
            Token[] pair = issuePair(app, "user", team.id(), org, code.userId(), null, code.userScopes());
            authedUser.put("scope", String.join(",", code.userScopes()));
            putTokenFields(authedUser, pair, "user");
        }
        if (!code.botScopes().isEmpty()) {
            String botUserId = "U0BOT" + app.appId().substring(1);
            Token[] pair = issuePair(app, "bot", team.id(), org, code.userId(), botUserId, code.botScopes());
            putTokenFields(body, pair, "bot");
            body.put("scope", String.join(",", code.botScopes()));
            body.put("bot_user_id", botUserId);
        }
        body.put("team", org ? null : teamJson(team));
        body.put("enterprise", team.enterpriseId() == null ? null : enterpriseJson(team));
        body.put("is_enterprise_install", org);
        body.put("authed_user", authedUser);
        return SimResponse.ok(body);
    }

    private static void putTokenFields(Map<String, Object> target, Token[] pair, String type) {
        target.put("access_token", pair[0].value);
        target.put("token_type", type);
        if (pair[1] != null) {
            target.put("refresh_token", pair[1].value);
            target.put("expires_in", Duration.between(pair[0].issuedAt, pair[0].expiresAt).toSeconds());
        }
    }

    private SimResponse refresh(App app, String value) {
        Token rt = value == null ? null : tokens.get(value);
        Instant now = clock.instant();
        if (rt == null || rt.kind != Kind.REFRESH || !rt.clientId.equals(app.clientId()) || rt.revoked) {
            count("refresh_rejected");
            return SimResponse.error("invalid_refresh_token");
        }
        if (app.pkce() && !now.isBefore(rt.issuedAt.plus(PKCE_REFRESH_LIFETIME))) {
            count("refresh_rejected");
            return SimResponse.error("invalid_refresh_token");
        }
        if (rt.usedAt != null) {
            if (now.isAfter(rt.usedAt.plusSeconds(settings.refreshGraceSeconds()))) {
                count("refresh_reuse_after_grace");
                count("refresh_rejected");
                return SimResponse.error("invalid_refresh_token");
            }
            count("refresh_reuse_within_grace");
            if (settings.reusePolicy() == SimulatorSettings.ReusePolicy.RETURN_SAME) {
                count("refreshes");
                return flatPair(app, rt, new Token[] { rt.mintedAccess, rt.mintedRefresh });
            }
            if (settings.reusePolicy() == SimulatorSettings.ReusePolicy.INVALIDATE_EARLIER) {
                // The pair the previous use minted dies; only the newest one works.
                rt.mintedAccess.revoked = true;
                rt.mintedRefresh.revoked = true;
                count("refresh_pairs_invalidated_by_reuse");
            }
        } else {
            rt.usedAt = now;
        }
        Token[] pair = issuePair(app, rt.type, rt.teamId, rt.enterpriseInstall, rt.userId, rt.botUserId, rt.scopes);
        if (rt.mintedAccess == null
                || settings.reusePolicy() == SimulatorSettings.ReusePolicy.INVALIDATE_EARLIER) {
            rt.mintedAccess = pair[0];
            rt.mintedRefresh = pair[1];
        }
        if (rt.legacyOrigin != null) {
            // The long-lived token that oauth.v2.exchange replaced works until the first refresh of the new pair.
            Token legacy = tokens.get(rt.legacyOrigin);
            if (legacy != null) {
                legacy.revoked = true;
            }
            rt.legacyOrigin = null;
        }
        count("refreshes");
        return flatPair(app, rt, pair);
    }

    private SimResponse flatPair(App app, Token origin, Token[] pair) {
        Team team = teams.get(origin.teamId);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("app_id", app.appId());
        body.put("scope", String.join(",", origin.scopes));
        body.put("token_type", origin.type);
        body.put("access_token", pair[0].value);
        body.put("refresh_token", pair[1].value);
        body.put("expires_in", Duration.between(pair[0].issuedAt, pair[0].expiresAt).toSeconds());
        if ("user".equals(origin.type)) {
            body.put("user_id", origin.userId);
        } else {
            body.put("bot_user_id", origin.botUserId);
        }
        body.put("team", origin.enterpriseInstall ? null : teamJson(team));
        body.put("enterprise", team.enterpriseId() == null ? null : enterpriseJson(team));
        body.put("is_enterprise_install", origin.enterpriseInstall);
        return SimResponse.ok(body);
    }

    // ---------------------------------------------------------------- oauth.v2.exchange

    public synchronized SimResponse oauthExchange(Map<String, String> form, String basicUser, String basicPassword) {
        count("oauth_v2_exchange_calls");
        Caller caller = caller(form, basicUser, basicPassword);
        App app = caller.app();
        if (app == null) {
            return SimResponse.error("invalid_client_id");
        }
        if (!caller.secretMatches()) {
            return SimResponse.error("bad_client_secret");
        }
        String value = form.get("token");
        Token legacy = value == null ? null : tokens.get(value);
        Instant now = clock.instant();
        if (legacy == null || legacy.kind != Kind.ACCESS || legacy.expiresAt != null || !legacy.live(now)) {
            return SimResponse.error("invalid_token");
        }
        if (!legacy.clientId.equals(app.clientId())) {
            return SimResponse.error("authorization_not_found");
        }
        if (!app.rotation()) {
            return SimResponse.error("token_rotation_not_enabled");
        }
        if (legacy.exchanged) {
            return SimResponse.error("token_already_exchanged");
        }
        legacy.exchanged = true;
        Token[] pair = issuePair(app, legacy.type, legacy.teamId, legacy.enterpriseInstall, legacy.userId,
                legacy.botUserId, legacy.scopes);
        pair[1].legacyOrigin = legacy.value;
        count("exchanges");
        return flatPair(app, pair[1], pair);
    }

    // ---------------------------------------------------------------- Web API methods that take a token

    public synchronized SimResponse authTest(String tokenValue) {
        count("auth_test_calls");
        Object auth = authenticate(tokenValue, false);
        if (auth instanceof SimResponse error) {
            return error;
        }
        Token t = (Token) auth;
        Team team = teams.get(t.teamId);
        User user = users.get(t.userId);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("url", "https://" + team.domain() + ".slack.com/");
        body.put("team", team.name());
        body.put("user", "bot".equals(t.type) ? "bot" : user == null ? t.userId : user.name());
        body.put("team_id", team.id());
        body.put("user_id", "bot".equals(t.type) ? t.botUserId : t.userId);
        if (team.enterpriseId() != null) {
            body.put("enterprise_id", team.enterpriseId());
        }
        body.put("is_enterprise_install", t.enterpriseInstall);
        if ("bot".equals(t.type)) {
            body.put("bot_id", "B" + t.botUserId.substring(1));
        }
        return SimResponse.ok(body);
    }

    public synchronized SimResponse authRevoke(String tokenValue, boolean test) {
        count("auth_revoke_calls");
        Object auth = authenticate(tokenValue, true);
        if (auth instanceof SimResponse error) {
            return error;
        }
        Token t = (Token) auth;
        if (test) {
            return SimResponse.ok(Map.of("revoked", false));
        }
        t.revoked = true;
        count("revocations");
        return SimResponse.ok(Map.of("revoked", true));
    }

    public synchronized SimResponse postMessage(String tokenValue, String channel, String text) {
        count("chat_post_message_calls");
        Object auth = authenticate(tokenValue, false);
        if (auth instanceof SimResponse error) {
            return error;
        }
        Token t = (Token) auth;
        if (!t.scopes.contains("chat:write")) {
            Map<String, Object> body = new LinkedHashMap<>(SimResponse.error("missing_scope").body());
            body.put("needed", "chat:write");
            body.put("provided", String.join(",", t.scopes));
            return new SimResponse(200, body, Map.of());
        }
        if (channel == null || channel.isBlank()) {
            return SimResponse.error("channel_not_found");
        }
        if (text == null || text.isBlank()) {
            return SimResponse.error("no_text");
        }
        Instant now = clock.instant();
        String ts = now.getEpochSecond() + "." + String.format("%06d", now.getNano() / 1000);
        String author = "bot".equals(t.type) ? t.botUserId : t.userId;
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("type", "message");
        message.put("channel", channel);
        message.put("text", text);
        message.put("user", author);
        message.put("ts", ts);
        messages.addLast(message);
        while (messages.size() > MAX_MESSAGES) {
            messages.pollFirst();
        }
        count("messages_posted");
        return SimResponse.ok(Map.of("channel", channel, "ts", ts, "message",
                Map.of("type", "message", "text", text, "user", author, "ts", ts)));
    }

    /** Resolves the token of a Web API call, or the error Slack gives for it. */
    private Object authenticate(String value, boolean allowRefreshToken) {
        if (value == null || value.isBlank()) {
            return SimResponse.error("not_authed");
        }
        Token t = tokens.get(value);
        if (t == null || (t.kind == Kind.REFRESH && !allowRefreshToken)) {
            return SimResponse.error("invalid_auth");
        }
        if (t.revoked) {
            return SimResponse.error("token_revoked");
        }
        if (t.expired(clock.instant())) {
            return SimResponse.error("token_expired");
        }
        return t;
    }

    // ---------------------------------------------------------------- events

    /** The JSON of an event callback as Slack sends it to the Events API URL. */
    public synchronized Map<String, Object> eventEnvelope(String teamId, Map<String, Object> event) {
        App app = apps.values().iterator().next();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", "sim-verification-token");
        body.put("team_id", teamId);
        Team team = teams.get(teamId);
        if (team != null && team.enterpriseId() != null) {
            body.put("enterprise_id", team.enterpriseId());
        }
        body.put("api_app_id", app.appId());
        body.put("event", event);
        body.put("type", "event_callback");
        body.put("event_id", "Ev" + random(10).toUpperCase());
        body.put("event_time", clock.instant().getEpochSecond());
        count("events_built");
        return body;
    }

    // ---------------------------------------------------------------- helpers

    /** Issues an access token (and, with rotation, a refresh token), keeping at most two live user tokens. */
    private Token[] issuePair(App app, String type, String teamId, boolean org, String userId, String botUserId,
            List<String> scopes) {
        Instant now = clock.instant();
        String infix = "user".equals(type) ? "xoxp" : "xoxb";
        if (!app.rotation()) {
            Token access = mint(Kind.ACCESS, type, app.clientId(), teamId, org, userId, botUserId, scopes,
                    infix + "-" + digits(12) + "-" + digits(12) + "-" + digits(13) + "-" + random(32), now, null);
            return new Token[] { access, null };
        }
        Token access = mint(Kind.ACCESS, type, app.clientId(), teamId, org, userId, botUserId, scopes,
                "xoxe." + infix + "-1-" + random(140), now, now.plusSeconds(settings.tokenLifetimeSeconds()));
        Token refresh = mint(Kind.REFRESH, type, app.clientId(), teamId, org, userId, botUserId, scopes,
                "xoxe-1-" + random(140), now, null);
        enforceLiveLimit(app.clientId(), type, userId, now);
        return new Token[] { access, refresh };
    }

    private void enforceLiveLimit(String clientId, String type, String userId, Instant now) {
        List<Token> live = tokens.values().stream()
                .filter(t -> t.kind == Kind.ACCESS && t.type.equals(type) && t.clientId.equals(clientId)
                        && Objects.equals(t.userId, userId) && t.expiresAt != null && t.live(now))
                .sorted(Comparator.comparing((Token t) -> t.issuedAt).thenComparingLong(t -> t.serial))
                .toList();
        for (int i = 0; i < live.size() - MAX_LIVE_ACCESS_TOKENS; i++) {
            live.get(i).revoked = true;
            count("access_tokens_revoked_over_limit");
        }
    }

    private Token mint(Kind kind, String type, String clientId, String teamId, boolean org, String userId,
            String botUserId, List<String> scopes, String value, Instant issuedAt, Instant expiresAt) {
        Token t = new Token(value, kind, type, clientId, teamId, org, userId, botUserId, scopes, issuedAt, expiresAt);
        t.serial = ++tokensMinted;
        tokens.put(value, t);
        count(kind == Kind.ACCESS ? "access_tokens_issued" : "refresh_tokens_issued");
        return t;
    }

    private Map<String, Object> teamJson(Team team) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", team.id());
        m.put("name", team.name());
        return m;
    }

    private Map<String, Object> enterpriseJson(Team team) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", team.enterpriseId());
        m.put("name", team.enterpriseName());
        return m;
    }

    private App requireApp(String clientId) {
        App app = apps.get(clientId);
        if (app == null) {
            throw new IllegalArgumentException("unknown app " + clientId);
        }
        return app;
    }

    private User requireUser(String userId) {
        User user = users.get(userId);
        if (user == null) {
            throw new IllegalArgumentException("unknown user " + userId);
        }
        return user;
    }

    private void count(String name) {
        count(name, 1);
    }

    private void count(String name, long n) {
        counters.merge(name, n, Long::sum);
    }

    static List<String> splitScopes(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct()
                .toList();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static URI withQuery(String base, String k1, String v1, String k2, String v2) {
        StringBuilder sb = new StringBuilder(base).append(base.contains("?") ? '&' : '?');
        sb.append(k1).append('=').append(URLEncoder.encode(v1, StandardCharsets.UTF_8));
        if (v2 != null) {
            sb.append('&').append(k2).append('=').append(URLEncoder.encode(v2, StandardCharsets.UTF_8));
        }
        return URI.create(sb.toString());
    }

    /** PKCE S256: base64url(SHA-256(verifier)) without padding. */
    static String s256(String verifier) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[tokenRandom.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    private String digits(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = (char) ('0' + tokenRandom.nextInt(10));
        }
        return new String(out);
    }
}
