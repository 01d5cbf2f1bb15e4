package dev.slacktokens.operator.simulator;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The simulator's admin API under {@code /_sim}: set up apps, workspaces and users, decide consents, inject faults,
 * move the clock, revoke tokens, send signed events and read counters. Documented in docs/simulator.md.
 */
@Path("/_sim")
@Produces(MediaType.APPLICATION_JSON)
public class SimulatorAdminResource {

    private final SlackSimulator simulator;
    private final MutableClock clock;
    private final SimulatorEventSender events;

    SimulatorAdminResource(SlackSimulator simulator, MutableClock clock, SimulatorEventSender events) {
        this.simulator = simulator;
        this.clock = clock;
        this.events = events;
    }

    @GET
    @Path("stats")
    public Map<String, Object> stats() {
        return simulator.stats();
    }

    @POST
    @Path("reset")
    public Map<String, Object> reset() {
        simulator.reset();
        return Map.of("ok", true);
    }

    @GET
    @Path("settings")
    public SimulatorSettings settings() {
        return simulator.settings();
    }

    /** Partial update: absent fields keep their value. */
    public record SettingsPatch(Long tokenLifetimeSeconds, Long refreshGraceSeconds, Long codeLifetimeSeconds,
            SimulatorSettings.ReusePolicy reusePolicy, String eventsUrl, Map<String, Integer> rateLimitsPerMinute) {
    }

    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("settings")
    public SimulatorSettings updateSettings(SettingsPatch patch) {
        SimulatorSettings s = simulator.settings();
        try {
            SimulatorSettings updated = new SimulatorSettings(
                    or(patch.tokenLifetimeSeconds(), s.tokenLifetimeSeconds()),
                    or(patch.refreshGraceSeconds(), s.refreshGraceSeconds()),
                    or(patch.codeLifetimeSeconds(), s.codeLifetimeSeconds()),
                    or(patch.reusePolicy(), s.reusePolicy()), or(patch.eventsUrl(), s.eventsUrl()),
                    or(patch.rateLimitsPerMinute(), s.rateLimitsPerMinute()));
            simulator.updateSettings(updated);
            return updated;
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }

    public record ClockAdvance(long advanceSeconds) {
    }

    @GET
    @Path("clock")
    public Map<String, Object> clock() {
        return Map.of("now", clock.instant().toString(), "offsetSeconds", clock.offset().toSeconds());
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("clock")
    public Map<String, Object> advanceClock(ClockAdvance advance) {
        try {
            clock.advance(Duration.ofSeconds(advance.advanceSeconds()));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
        return clock();
    }

    @GET
    @Path("apps")
    public List<SlackSimulator.App> apps() {
        return simulator.apps();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("apps")
    public SlackSimulator.App putApp(SlackSimulator.App app) {
        if (app.clientSecret() == null || app.appId() == null) {
            throw new BadRequestException("an app needs clientId, clientSecret and appId");
        }
        simulator.putApp(app);
        return app;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("teams")
    public SlackSimulator.Team putTeam(SlackSimulator.Team team) {
        if (team.id() == null || team.name() == null || team.domain() == null) {
            throw new BadRequestException("a team needs id, name and domain");
        }
        simulator.putTeam(team);
        return team;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("users")
    public SlackSimulator.User putUser(SlackSimulator.User user) {
        return guard(() -> {
            simulator.putUser(user);
            return user;
        });
    }

    /** For benchmarks: users with a rotating user pair each, minted without the consent flow. */
    public record GrantsRequest(Integer count, String prefix, String clientId, String teamId, List<String> scopes) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("grants")
    public List<Map<String, Object>> grants(GrantsRequest request) {
        if (request.count() == null || request.count() < 1 || request.count() > 100_000) {
            throw new BadRequestException("count must be between 1 and 100000");
        }
        return guard(() -> simulator.mintGrants(request.clientId() == null ? simulator.apps().get(0).clientId()
                : request.clientId(), request.teamId() == null ? "T0SIM0001" : request.teamId(),
                request.prefix() == null ? "U0BENCH" : request.prefix(), request.count(),
                request.scopes() == null ? List.of("chat:write") : request.scopes()));
    }

    /** A consent decision; {@code once} (default true) applies it to the next authorize visit only. */
    public record ConsentRequest(String userId, boolean deny, boolean enterpriseInstall, List<String> declineScopes,
            Boolean once) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("consent")
    public Map<String, Object> consent(ConsentRequest request) {
        return guard(() -> {
            var consent = new SlackSimulator.Consent(request.userId(), request.deny(), request.enterpriseInstall(),
                    request.declineScopes());
            if (request.once() == null || request.once()) {
                simulator.queueConsent(consent);
            } else {
                simulator.setDefaultConsent(consent);
            }
            return Map.of("ok", true);
        });
    }

    /** A fault; absent probability means always, absent count means no limit. */
    public record FaultRequest(String method, String error, Integer httpStatus, Long retryAfterSeconds,
            Double probability, Integer count, Long latencyMillis, String tokenType, Boolean afterAction) {
    }

    @GET
    @Path("faults")
    public List<FaultRule> faults() {
        return simulator.faults();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("faults")
    public FaultRule addFault(FaultRequest r) {
        return guard(() -> {
            FaultRule rule = new FaultRule(r.method(), r.error(), or(r.httpStatus(), 0), or(r.retryAfterSeconds(), 0L),
                    or(r.probability(), 1.0), or(r.count(), -1), or(r.latencyMillis(), 0L), r.tokenType(),
                    Boolean.TRUE.equals(r.afterAction()));
            simulator.addFault(rule);
            return rule;
        });
    }

    @DELETE
    @Path("faults")
    public Map<String, Object> clearFaults() {
        simulator.clearFaults();
        return Map.of("ok", true);
    }

    public record LegacyTokenRequest(String clientId, String userId, List<String> scopes) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("legacy-tokens")
    public Map<String, Object> legacyToken(LegacyTokenRequest r) {
        return guard(() -> Map.of("token", simulator.issueLegacyUserToken(
                r.clientId() == null ? simulator.apps().get(0).clientId() : r.clientId(), r.userId(),
                r.scopes() == null ? List.of("chat:write") : r.scopes())));
    }

    @POST
    @Path("users/{userId}/revoke")
    public Map<String, Object> revokeUser(@PathParam("userId") String userId) {
        return Map.of("revoked", simulator.revokeUserTokens(userId));
    }

    @GET
    @Path("messages")
    public List<Map<String, Object>> messages() {
        return simulator.messages();
    }

    /**
     * Event delivery options: where to ({@code url}, default the configured eventsUrl), whether to revoke the
     * tokens first (default true), and for negative tests a timestamp skew or another signing secret.
     */
    public record EventRequest(String teamId, List<String> userIds, List<String> botUserIds, String clientId,
            Boolean revoke, String url, Long timestampSkewSeconds, String signingSecret) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("events/tokens-revoked")
    public Map<String, Object> tokensRevoked(EventRequest r) {
        String teamId = require(r.teamId(), "teamId");
        List<String> userIds = r.userIds() == null ? List.of() : r.userIds();
        List<String> botUserIds = r.botUserIds() == null ? List.of() : r.botUserIds();
        if (r.revoke() == null || r.revoke()) {
            userIds.forEach(simulator::revokeUserTokens);
            // the bots listed lose their tokens too: the event says so, and a client may ask auth.test
            botUserIds.forEach(simulator::revokeBotTokens);
        }
        Map<String, Object> tokens = new LinkedHashMap<>();
        tokens.put("oauth", userIds);
        tokens.put("bot", botUserIds);
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", "tokens_revoked");
        event.put("tokens", tokens);
        return send(r, simulator.eventEnvelope(teamId, event));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Path("events/app-uninstalled")
    public Map<String, Object> appUninstalled(EventRequest r) {
        String teamId = require(r.teamId(), "teamId");
        if (r.revoke() == null || r.revoke()) {
            simulator.revokeTeamTokens(r.clientId() == null ? simulator.apps().get(0).clientId() : r.clientId(),
                    teamId);
        }
        return send(r, simulator.eventEnvelope(teamId, Map.of("type", "app_uninstalled")));
    }

    private Map<String, Object> send(EventRequest r, Map<String, Object> envelope) {
        String url = r.url() != null ? r.url() : simulator.settings().eventsUrl();
        if (url == null) {
            throw new BadRequestException("no url given and slack-simulator.events-url is not set");
        }
        var delivery = events.deliver(url, envelope, or(r.timestampSkewSeconds(), 0L), r.signingSecret());
        return Map.of("status", delivery.status(), "body", delivery.body(), "event", envelope);
    }

    private static String require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new BadRequestException(name + " is required");
        }
        return value;
    }

    private static <T> T guard(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new BadRequestException(e.getMessage());
        }
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
