package dev.slacktokens.operator.events;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.config.OperatorMetrics;
import org.jboss.logging.Logger;

/**
 * Slack's Events API endpoint ({@code POST /slack/events}), on every replica: verifies the v0 signature, answers
 * {@code url_verification}, and acts on {@code tokens_revoked} and {@code app_uninstalled} at once. A bad signature
 * or a stale timestamp is 401 and changes nothing.
 */
@Path("/slack/events")
public class SlackEventsResource {

    private static final Logger LOG = Logger.getLogger(SlackEventsResource.class);

    @Inject
    OperatorConfig config;
    @Inject
    RevocationHandler revocations;
    @Inject
    ObjectMapper mapper;
    @Inject
    OperatorMetrics metrics;
    @Inject
    Clock clock;

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response receive(@HeaderParam("X-Slack-Request-Timestamp") String timestamp,
            @HeaderParam("X-Slack-Signature") String signature, byte[] body) {
        String secret = config.slack().signingSecret().orElse(null);
        if (secret == null) {
            metrics.event("unknown", "not_configured");
            return Response.status(503).entity(Map.of("error", "slack-operator.slack.signing-secret is not set"))
                    .build();
        }
        SlackSignature.Verdict verdict = SlackSignature.verify(secret, timestamp, body, signature, clock.instant());
        if (verdict != SlackSignature.Verdict.VALID) {
            metrics.event("unknown", verdict.name().toLowerCase());
            LOG.warnf("Refused a Slack event request: %s", verdict);
            return Response.status(401).entity(Map.of("error", "invalid_signature", "reason",
                    verdict.name().toLowerCase())).build();
        }
        JsonNode json;
        try {
            json = mapper.readTree(body);
        } catch (IOException e) {
            metrics.event("unknown", "bad_json");
            return Response.status(400).entity(Map.of("error", "body is not JSON")).build();
        }
        String type = json.path("type").asText();
        if ("url_verification".equals(type)) {
            metrics.event("url_verification", "ok");
            return Response.ok(Map.of("challenge", json.path("challenge").asText())).build();
        }
        JsonNode event = json.path("event");
        String eventType = event.path("type").asText("unknown");
        String team = json.path("team_id").asText(null);
        String app = json.path("api_app_id").asText(null);
        JsonNode eventTime = json.path("event_time");
        java.time.Instant time = null;
        if (!eventTime.isMissingNode() && !eventTime.isNull()) {
            // Slack sends whole seconds; anything else (or beyond Instant's range) would not be a time to compare
            if (!eventTime.isIntegralNumber() || !eventTime.canConvertToLong()
                    || eventTime.asLong() < java.time.Instant.MIN.getEpochSecond()
                    || eventTime.asLong() > java.time.Instant.MAX.getEpochSecond()) {
                metrics.event(eventType, "bad_event_time");
                return Response.status(400).entity(Map.of("error", "event_time is not a Unix time in seconds"))
                        .build();
            }
            time = java.time.Instant.ofEpochSecond(eventTime.asLong());
        }
        var where = new RevocationHandler.Workspace(team, json.path("enterprise_id").asText(null));
        int affected = switch (eventType) {
            case "tokens_revoked" -> revocations.tokensRevoked(where, app, ids(event.path("tokens").path("oauth")),
                    ids(event.path("tokens").path("bot")), time);
            case "app_uninstalled" -> revocations.appUninstalled(where, app, time);
            default -> -1;
        };
        metrics.event(eventType, affected < 0 ? "ignored" : "ok");
        LOG.infof("Slack event %s for %s: %s", eventType, team,
                affected < 0 ? "ignored" : affected + " connection(s) affected");
        return Response.ok(Map.of("ok", true)).build();
    }

    private static List<String> ids(JsonNode array) {
        List<String> ids = new ArrayList<>();
        array.forEach(n -> ids.add(n.asText()));
        return ids;
    }
}
