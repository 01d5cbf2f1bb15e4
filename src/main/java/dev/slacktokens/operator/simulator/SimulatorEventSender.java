package dev.slacktokens.operator.simulator;

import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.client.Client;
import jakarta.ws.rs.client.ClientBuilder;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Delivers event callbacks to an Events API URL, signed as Slack signs them. */
@ApplicationScoped
public class SimulatorEventSender {

    private final SlackSimulator simulator;
    private final ObjectMapper mapper;

    SimulatorEventSender(SlackSimulator simulator, ObjectMapper mapper) {
        this.simulator = simulator;
        this.mapper = mapper;
    }

    /**
     * Signs and POSTs {@code envelope} to {@code url}.
     *
     * @param timestampSkewSeconds added to the signature timestamp (negative: an old, replayed request)
     * @param signingSecret        the secret to sign with; null for the simulator's own
     * @return the HTTP status the receiver answered, or 0 if it could not be reached
     */
    public Delivery deliver(String url, Map<String, Object> envelope, long timestampSkewSeconds, String signingSecret) {
        String body;
        try {
            body = mapper.writeValueAsString(envelope);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        long timestamp = simulator.clock().instant().getEpochSecond() + timestampSkewSeconds;
        String secret = signingSecret != null ? signingSecret : simulator.signingSecret();
        Client client = ClientBuilder.newClient();
        try (Response response = client.target(url).request()
                .header("X-Slack-Request-Timestamp", Long.toString(timestamp))
                .header("X-Slack-Signature", SlackRequestSigner.sign(secret, timestamp, body))
                .post(Entity.entity(body, MediaType.APPLICATION_JSON))) {
            return new Delivery(response.getStatus(), response.hasEntity() ? response.readEntity(String.class) : "");
        } catch (ProcessingException e) {
            return new Delivery(0, e.getClass().getSimpleName());
        } finally {
            client.close();
        }
    }

    /** The receiver's answer. */
    public record Delivery(int status, String body) {
    }
}
