package dev.slacktokens.operator.simulator;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

/**
 * Slack's Web API methods, served by the simulator ({@code /api/<method>}), so that pointing a client's base URL
 * here is the only change. They accept form-encoded and JSON bodies, client credentials in
 * HTTP Basic or in the form, and tokens as a Bearer header or a {@code token} field.
 */
@Path("/api")
public class SimulatorResource {

    private final SlackSimulator simulator;

    SimulatorResource(SlackSimulator simulator) {
        this.simulator = simulator;
    }

    @POST
    @Path("{method}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    public Response formCall(@PathParam("method") String method, @HeaderParam("Authorization") String authorization,
            MultivaluedMap<String, String> form) {
        Map<String, String> params = new LinkedHashMap<>();
        form.forEach((k, v) -> params.put(k, v.isEmpty() ? null : v.get(0)));
        return call(method, authorization, params);
    }

    @POST
    @Path("{method}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response jsonCall(@PathParam("method") String method, @HeaderParam("Authorization") String authorization,
            Map<String, Object> body) {
        Map<String, String> params = new LinkedHashMap<>();
        if (body != null) {
            body.forEach((k, v) -> params.put(k, v == null ? null : v.toString()));
        }
        return call(method, authorization, params);
    }

    private Response call(String method, String authorization, Map<String, String> params) {
        String token = "oauth.v2.access".equals(method) ? params.get("refresh_token") : bearer(authorization);
        SlackSimulator.FaultDecision fault = simulator.beforeCall(method, token != null ? token : params.get("token"));
        SimResponse done = fault.afterAction() ? dispatch(method, authorization, params) : null;
        if (fault.latencyMillis() > 0) {
            sleep(fault.latencyMillis());
        }
        SimResponse answer = fault.answer() != null ? fault.answer()
                : done != null ? done : dispatch(method, authorization, params);
        Response.ResponseBuilder builder = Response.status(answer.status()).type(MediaType.APPLICATION_JSON)
                .entity(answer.body());
        answer.headers().forEach(builder::header);
        return builder.build();
    }

    private SimResponse dispatch(String method, String authorization, Map<String, String> params) {
        String[] basic = basic(authorization);
        String token = bearer(authorization);
        if (token == null) {
            token = params.get("token");
        }
        return switch (method) {
            case "oauth.v2.access" -> simulator.oauthAccess(params, basic[0], basic[1]);
            case "oauth.v2.exchange" -> simulator.oauthExchange(params, basic[0], basic[1]);
            case "auth.test" -> simulator.authTest(token);
            case "auth.revoke" -> simulator.authRevoke(token, "1".equals(params.get("test"))
                    || "true".equals(params.get("test")));
            case "chat.postMessage" -> simulator.postMessage(token, params.get("channel"), params.get("text"));
            default -> SimResponse.error("unknown_method");
        };
    }

    private static String[] basic(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return new String[2];
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
                    StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? new String[] { decoded, "" }
                    : new String[] { decoded.substring(0, colon), decoded.substring(colon + 1) };
        } catch (IllegalArgumentException e) {
            return new String[] { "", "" };
        }
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authorization.substring(7).trim();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String escape(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }
}
