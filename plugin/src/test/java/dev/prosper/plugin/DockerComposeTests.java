package dev.prosper.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import org.opensearch.common.settings.Setting;
import org.opensearch.test.OpenSearchTestCase;

/**
 * docker-compose.yml cannot run here (no Docker), so its structure is checked against the build:
 * image and OpenSearch version, plugin zip, model mounts, node roles, GPU reservation and CUDA
 * libtorch, and that every PROSPER setting it sets exists.
 */
public class DockerComposeTests extends OpenSearchTestCase {

  private static final String MODELS = "/usr/share/opensearch/config/prosper/models";

  private static Path root() {
    return Path.of(System.getProperty("prosper.repo.root"));
  }

  private static JsonNode compose() throws IOException {
    return new ObjectMapper(new YAMLFactory())
        .readTree(root().resolve("docker-compose.yml").toFile());
  }

  public void testBothNodesRunTheBuildsOpenSearchWithThePlugin() throws IOException {
    String version = System.getProperty("prosper.opensearch.version");
    JsonNode services = compose().get("services");
    assertEquals(Set.of("opensearch-data", "opensearch-ingest-gpu"), names(services));
    for (JsonNode service : services) {
      assertEquals("prosper-opensearch:" + version, service.get("image").asText());
      JsonNode args = service.get("build").get("args");
      assertEquals(version, args.get("OPENSEARCH_VERSION").asText());
      assertEquals(System.getProperty("prosper.version"), args.get("PROSPER_VERSION").asText());
      assertEquals("docker/Dockerfile", service.get("build").get("dockerfile").asText());
      assertEquals("prosper-cluster", service.get("environment").get("cluster.name").asText());
      assertTrue(service.toString(), hasVolume(service, "./models:" + MODELS + ":ro"));
      assertTrue(
          service
              .get("environment")
              .get("OPENSEARCH_JAVA_OPTS")
              .asText()
              .matches("-Xms\\d+g -Xmx\\d+g"));
    }
    String dockerfile = Files.readString(root().resolve("docker/Dockerfile"));
    assertTrue(dockerfile.contains("FROM opensearchproject/opensearch:${OPENSEARCH_VERSION}"));
    assertTrue(dockerfile.contains("plugin/target/prosper-opensearch-${PROSPER_VERSION}.zip"));
    assertTrue(dockerfile.contains("opensearch-plugin install --batch"));
  }

  public void testDataNodeHoldsDataAndTheIngestNodeHasTheGpu() throws IOException {
    JsonNode services = compose().get("services");
    JsonNode data = services.get("opensearch-data").get("environment");
    assertEquals("cluster_manager,data", data.get("node.roles").asText());
    assertEquals(
        "9200:9200",
        services.get("opensearch-data").get("ports").get(0).asText().replace("127.0.0.1:", ""));

    JsonNode ingest = services.get("opensearch-ingest-gpu");
    JsonNode environment = ingest.get("environment");
    assertEquals("ingest", environment.get("node.roles").asText());
    assertEquals("gpu", environment.get("prosper.device").asText());
    assertEquals(
        System.getProperty("prosper.pytorch.version"), environment.get("PYTORCH_VERSION").asText());
    assertTrue(environment.get("PYTORCH_FLAVOR").asText().startsWith("cu"));
    String library = environment.get("PYTORCH_LIBRARY_PATH").asText();
    assertTrue(library, library.startsWith("/opt/libtorch/"));
    assertTrue(ingest.toString(), hasVolumeTarget(ingest, "/opt/libtorch:ro"));
    JsonNode device = ingest.at("/deploy/resources/reservations/devices/0");
    assertEquals("nvidia", device.get("driver").asText());
    assertEquals("gpu", device.get("capabilities").get(0).asText());
    assertTrue(device.get("count").asInt() >= 1);
  }

  public void testEveryProsperSettingInTheFileExists() throws IOException {
    Set<String> known = new HashSet<>();
    for (Setting<?> setting : ProsperSettings.all()) {
      known.add(setting.getKey());
    }
    known.add("thread_pool." + ProsperSettings.ENCODE_POOL + ".size");
    known.add("thread_pool." + ProsperSettings.ENCODE_POOL + ".queue_size");
    int checked = 0;
    for (JsonNode service : compose().get("services")) {
      Iterator<String> keys = service.get("environment").fieldNames();
      while (keys.hasNext()) {
        String key = keys.next();
        if (key.startsWith("prosper.") || key.contains(ProsperSettings.ENCODE_POOL)) {
          assertTrue("unknown setting [" + key + "] in docker-compose.yml", known.contains(key));
          checked++;
        }
      }
    }
    assertTrue(checked >= 3);
  }

  private static Set<String> names(JsonNode object) {
    Set<String> names = new HashSet<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static boolean hasVolume(JsonNode service, String volume) {
    for (JsonNode entry : service.get("volumes")) {
      if (entry.asText().equals(volume)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasVolumeTarget(JsonNode service, String suffix) {
    for (JsonNode entry : service.get("volumes")) {
      if (entry.asText().endsWith(":" + suffix)) {
        return true;
      }
    }
    return false;
  }
}
