package dev.slacktokens.operator.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

/**
 * A recorded stub for Slack client tests: answers the next canned response verbatim (status, headers, body,
 * delay) and records what the client sent. Lives only in the test sources; behaviour tests use the simulator.
 */
@Path("/canned")
public class CannedSlack {

    public record Canned(int status, String contentType, String body, Map<String, String> headers, long delayMillis) {
        public static Canned json(String body) {
            return new Canned(200, MediaType.APPLICATION_JSON, body, Map.of(), 0);
        }
    }

    public record Recorded(String method, String authorization, Map<String, List<String>> form) {
    }

    private static volatile Canned next = Canned.json("{\"ok\":true}");
    public static final List<Recorded> REQUESTS = new CopyOnWriteArrayList<>();

    public static void answer(Canned canned) {
        next = canned;
        REQUESTS.clear();
    }

    @POST
    @Path("api/{method}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response call(@PathParam("method") String method, @HeaderParam("Authorization") String authorization,
            MultivaluedMap<String, String> form) throws InterruptedException {
        REQUESTS.add(new Recorded(method, authorization, Map.copyOf(form)));
        Canned canned = next;
        if (canned.delayMillis() > 0) {
            Thread.sleep(canned.delayMillis());
        }
        Response.ResponseBuilder builder = Response.status(canned.status()).type(canned.contentType())
                .entity(canned.body());
        canned.headers().forEach(builder::header);
        return builder.build();
    }
}
