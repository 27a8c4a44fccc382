package dev.prosper.plugin.runtime;

import static org.hamcrest.Matchers.containsString;

import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.head.Mode;
import dev.prosper.plugin.ProsperPlugin;
import java.util.Collection;
import java.util.List;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.core.common.Strings;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.plugins.Plugin;
import org.opensearch.test.OpenSearchSingleNodeTestCase;

/** {@code _encode}'s transport action on a real in-JVM node, and its wire format. */
public class EncodeActionTests extends OpenSearchSingleNodeTestCase {

  @Override
  protected Collection<Class<? extends Plugin>> getPlugins() {
    return List.of(ProsperPlugin.class);
  }

  /** The action is registered under its name and reaches the node's runtime. */
  public void testTheActionRunsOnTheNodeUnderItsOwnName() {
    EncodeAction.Request request =
        new EncodeAction.Request("not-there", List.of("cordless drill"), Mode.QUERY, null);
    ResourceNotFoundException e =
        expectThrows(
            ResourceNotFoundException.class,
            () -> client().execute(EncodeAction.INSTANCE, request).actionGet());
    assertThat(e.getMessage(), containsString("model [not-there] is not registered"));
    assertEquals("cluster:admin/prosper/model/encode", EncodeAction.INSTANCE.name());
  }

  public void testAnEmptyRequestIsInvalid() {
    EncodeAction.Request request = new EncodeAction.Request("m", List.of(), Mode.QUERY, null);
    assertThat(request.validate().getMessage(), containsString("[texts] must be a non-empty"));
  }

  public void testRequestAndResponseSurviveTheWire() throws Exception {
    EncodeAction.Request request =
        new EncodeAction.Request("m", List.of("9 ft patio umbrella", "伞"), Mode.DOCUMENT, 7);
    BytesStreamOutput out = new BytesStreamOutput();
    request.writeTo(out);
    EncodeAction.Request read = new EncodeAction.Request(out.bytes().streamInput());
    BytesStreamOutput again = new BytesStreamOutput();
    read.writeTo(again);
    assertEquals(out.bytes(), again.bytes());

    List<SparseVector> encoded =
        List.of(
            SparseVector.ofTerms(
                List.of(
                    new SparseVector.Term("patio", 11, 0.75f, true),
                    new SparseVector.Term("garden", 12, 0.25f, false))),
            SparseVector.ofTerms(List.of(new SparseVector.Term("伞", 13, 1f, true))));
    EncodeAction.Response response =
        new EncodeAction.Response("m", Mode.DOCUMENT, List.of("9 ft patio umbrella", "伞"), encoded);
    BytesStreamOutput wire = new BytesStreamOutput();
    response.writeTo(wire);
    StreamInput in = wire.bytes().streamInput();
    EncodeAction.Response back = new EncodeAction.Response(in);
    assertEquals(encoded, back.encoded());
    assertEquals(
        Strings.toString(MediaTypeRegistry.JSON, response),
        Strings.toString(MediaTypeRegistry.JSON, back));
    assertThat(
        Strings.toString(MediaTypeRegistry.JSON, back),
        containsString("{\"term\":\"garden\",\"weight\":0.25,\"literal\":false}"));
  }
}
