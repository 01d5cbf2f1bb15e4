package dev.slacktokens.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;

/**
 * The CRD committed under crds/ is the one the build generates from the API classes, so the two cannot drift.
 * Runs after {@code package}, which writes the generated CRD to target/kubernetes/.
 * To accept a change of the API: {@code ./mvnw verify -Dupdate-crd=true}, then review and commit crds/.
 */
class CrdDriftIT {

    static final Path GENERATED = Path.of("target/kubernetes/slackuserconnections.slacktokens.dev-v1.yml");
    static final Path COMMITTED = Path.of("crds/slackuserconnections.slacktokens.dev-v1.yml");

    @Test
    void committedCrdEqualsTheGeneratedOne() throws IOException {
        assertThat(GENERATED).as("run after package: the build generates the CRD").exists();
        String expected = CrdFiles.canonical(Files.readString(GENERATED, StandardCharsets.UTF_8));
        if (Boolean.getBoolean("update-crd")) {
            Files.createDirectories(COMMITTED.getParent());
            Files.writeString(COMMITTED, expected, StandardCharsets.UTF_8);
        }
        assertThat(COMMITTED).as("crds/ is committed").exists();
        assertThat(Files.readString(COMMITTED, StandardCharsets.UTF_8))
                .as("crds/ differs from the generated CRD: run ./mvnw verify -Dupdate-crd=true and commit crds/")
                .isEqualTo(expected);
    }

    @Test
    void printerColumnsAreInDisplayOrder() throws IOException {
        CustomResourceDefinition crd = CrdFiles.load(COMMITTED);
        var columns = crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns();
        assertThat(columns).extracting(c -> c.getName()).containsExactly("Ready", "User", "Team", "Expires", "Age",
                "Message");
        assertThat(columns).filteredOn(c -> c.getName().equals("Message")).singleElement()
                .satisfies(c -> assertThat(c.getPriority()).isEqualTo(1));
    }

    @Test
    void everyFieldHasADescription() throws IOException {
        CustomResourceDefinition crd = CrdFiles.load(COMMITTED);
        JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        List<String> undocumented = new ArrayList<>();
        collectUndocumented("", root, undocumented);
        assertThat(undocumented).as("fields without a description (kubectl explain shows nothing)").isEmpty();
        assertThat(root.getProperties()).containsKeys("spec", "status");
    }

    private static void collectUndocumented(String path, JSONSchemaProps schema, List<String> out) {
        if (schema.getProperties() != null) {
            for (Map.Entry<String, JSONSchemaProps> e : schema.getProperties().entrySet()) {
                String child = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                if (e.getValue().getDescription() == null || e.getValue().getDescription().isBlank()) {
                    out.add(child);
                }
                collectUndocumented(child, e.getValue(), out);
            }
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null) {
            collectUndocumented(path + "[]", schema.getItems().getSchema(), out);
        }
    }
}
