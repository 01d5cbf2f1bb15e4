package dev.slacktokens.operator.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;

/** Records event deliveries (headers and raw body) for simulator tests. */
@Path("/test-events")
public class EventReceiver {

    public record Delivery(String timestamp, String signature, String body) {
    }

    public static final List<Delivery> DELIVERIES = new CopyOnWriteArrayList<>();

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public String receive(@HeaderParam("X-Slack-Request-Timestamp") String timestamp,
            @HeaderParam("X-Slack-Signature") String signature, String body) {
        DELIVERIES.add(new Delivery(timestamp, signature, body));
        return "received";
    }
}
