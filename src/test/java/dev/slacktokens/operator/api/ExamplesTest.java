package dev.slacktokens.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.slacktokens.operator.api.v1alpha1.DeletionPolicy;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;

/** The shipped examples conform to the committed CRD, and the schema rejects the usual mistakes. */
class ExamplesTest {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static Stream<Path> examples() throws IOException {
        return Files.list(Path.of("deploy/examples")).filter(p -> p.toString().endsWith(".yaml")).sorted();
    }

    static JSONSchemaProps schema() throws IOException {
        return CrdFiles.load(CrdDriftIT.COMMITTED).getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void exampleConformsToTheSchemaAndReadsIntoTheApiClasses(Path example) throws IOException {
        JsonNode object = YAML.readTree(example.toFile());
        assertThat(object.path("apiVersion").asText()).isEqualTo("slacktokens.dev/v1alpha1");
        assertThat(object.path("kind").asText()).isEqualTo("SlackUserConnection");
        assertThat(SchemaCheck.check(schema().getProperties().get("spec"), object.get("spec"))).isEmpty();
        SlackUserConnection connection = Serialization.unmarshal(Files.readString(example),
                SlackUserConnection.class);
        assertThat(connection.getSpec().getUserScopes()).isNotEmpty();
    }

    @Test
    void schemaRejectsTheUsualMistakes() throws IOException {
        JSONSchemaProps spec = schema().getProperties().get("spec");
        assertThat(errors(spec, "{}")).containsExactly(".userScopes: required");
        assertThat(errors(spec, "{\"userScopes\":[]}")).containsExactly(".userScopes: fewer than 1 items");
        assertThat(errors(spec, "{\"userScopes\":[\"Chat Write\"]}")).singleElement().asString()
                .startsWith(".userScopes[0]: must match");
        assertThat(errors(spec, "{\"userScopes\":[\"chat:write\"],\"deletionPolicy\":\"Delete\"}"))
                .containsExactly(".deletionPolicy: must be one of [Retain, Revoke]");
        assertThat(errors(spec, "{\"userScopes\":[\"chat:write\"],\"team\":\"acme\"}")).hasSize(1);
        assertThat(errors(spec, "{\"userScopes\":[\"chat:write\"],\"user\":\"T123\"}")).hasSize(1);
        assertThat(errors(spec, "{\"userScopes\":[\"chat:write\"],\"refreshBefore\":\"2 hours\"}")).hasSize(1);
        assertThat(errors(spec, "{\"userScopes\":[\"chat:write\"],\"secretName\":\"Bad_Name\"}")).hasSize(1);
        assertThat(errors(spec, "{\"userScopes\":[\"chat:write\"],\"slackApp\":{\"clientId\":\"1.2\"}}"))
                .containsExactly(".slackApp.clientSecretRef: required");
        assertThat(errors(spec, "{\"userScopes\":[\"chat:write\"],\"scopes\":[\"x\"]}"))
                .containsExactly(".scopes: unknown field");
    }

    @Test
    void celRulesArePresentForWhatPatternsCannotSay() throws IOException {
        JSONSchemaProps spec = schema().getProperties().get("spec");
        assertThat(spec.getProperties().get("redirectUri").getXKubernetesValidations()).singleElement()
                .satisfies(rule -> assertThat(rule.getMessage()).contains("https"));
        assertThat(spec.getProperties().get("refreshBefore").getXKubernetesValidations()).singleElement()
                .satisfies(rule -> assertThat(rule.getRule()).contains("duration('1m')").contains("duration('11h')"));
        assertThat(spec.getProperties().get("deletionPolicy").getEnum()).extracting(JsonNode::asText)
                .containsExactlyInAnyOrderElementsOf(Stream.of(DeletionPolicy.values()).map(Enum::name).toList());
    }

    private static List<String> errors(JSONSchemaProps spec, String json) throws IOException {
        return SchemaCheck.check(spec, new ObjectMapper().readTree(json));
    }
}
