package dev.prosper.plugin.runtime;

import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.head.Mode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.action.ActionType;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/**
 * {@code POST _plugins/prosper/models/{model_id}/_encode} as a transport action of its own, so that
 * the security plugin can authorise it ({@value #NAME}) like the registry's actions. It runs on the
 * node that received the request, with that node's copy of the model.
 */
public final class EncodeAction extends ActionType<EncodeAction.Response> {

  public static final String NAME = "cluster:admin/prosper/model/encode";
  public static final EncodeAction INSTANCE = new EncodeAction();

  private EncodeAction() {
    super(NAME, Response::new);
  }

  /** Texts (already checked by the REST layer), mode and an optional top_k. */
  public static final class Request extends ActionRequest {
    private final String modelId;
    private final List<String> texts;
    private final Mode mode;
    private final Integer topK;

    public Request(String modelId, List<String> texts, Mode mode, Integer topK) {
      this.modelId = modelId;
      this.texts = List.copyOf(texts);
      this.mode = mode;
      this.topK = topK;
    }

    public Request(StreamInput in) throws IOException {
      super(in);
      modelId = in.readString();
      texts = in.readStringList();
      mode = Mode.of(in.readString());
      topK = in.readOptionalVInt();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
      super.writeTo(out);
      out.writeString(modelId);
      out.writeStringCollection(texts);
      out.writeString(mode.id());
      out.writeOptionalVInt(topK);
    }

    @Override
    public ActionRequestValidationException validate() {
      if (texts.isEmpty()) {
        ActionRequestValidationException errors = new ActionRequestValidationException();
        errors.addValidationError("[texts] must be a non-empty array of strings");
        return errors;
      }
      return null;
    }
  }

  /** Each text's served vector, literal terms marked. */
  public static final class Response extends ActionResponse implements ToXContentObject {
    private final String modelId;
    private final Mode mode;
    private final List<String> texts;
    private final List<SparseVector> encoded;

    Response(String modelId, Mode mode, List<String> texts, List<SparseVector> encoded) {
      this.modelId = modelId;
      this.mode = mode;
      this.texts = texts;
      this.encoded = encoded;
    }

    public Response(StreamInput in) throws IOException {
      super(in);
      modelId = in.readString();
      mode = Mode.of(in.readString());
      texts = in.readStringList();
      int count = in.readVInt();
      encoded = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int size = in.readVInt();
        List<SparseVector.Term> terms = new ArrayList<>(size);
        for (int t = 0; t < size; t++) {
          terms.add(
              new SparseVector.Term(
                  in.readString(), in.readInt(), in.readFloat(), in.readBoolean()));
        }
        encoded.add(SparseVector.ofTerms(terms));
      }
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
      out.writeString(modelId);
      out.writeString(mode.id());
      out.writeStringCollection(texts);
      out.writeVInt(encoded.size());
      for (SparseVector vector : encoded) {
        out.writeVInt(vector.terms().size());
        for (SparseVector.Term term : vector.terms()) {
          out.writeString(term.term());
          out.writeInt(term.id());
          out.writeFloat(term.weight());
          out.writeBoolean(term.literal());
        }
      }
    }

    public List<SparseVector> encoded() {
      return encoded;
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
      builder.startObject();
      builder.field("model_id", modelId);
      builder.field("mode", mode.id());
      builder.startArray("results");
      for (int i = 0; i < texts.size(); i++) {
        builder.startObject();
        builder.field("text", texts.get(i));
        builder.startArray("terms");
        for (SparseVector.Term term : encoded.get(i).terms()) {
          builder.startObject();
          builder.field("term", term.term());
          builder.field("weight", term.weight());
          builder.field("literal", term.literal());
          builder.endObject();
        }
        builder.endArray();
        builder.endObject();
      }
      builder.endArray();
      return builder.endObject();
    }
  }

  /** Encodes on this node's encode pool ({@link ModelRuntime#encode}). */
  public static final class TransportAction extends HandledTransportAction<Request, Response> {

    private final ModelRuntime runtime;

    @Inject
    public TransportAction(
        TransportService transportService, ActionFilters actionFilters, ModelRuntime runtime) {
      super(NAME, transportService, actionFilters, Request::new);
      this.runtime = runtime;
    }

    @Override
    protected void doExecute(Task task, Request request, ActionListener<Response> listener) {
      runtime.encode(
          request.modelId,
          request.texts,
          request.mode,
          request.topK,
          ActionListener.map(
              listener,
              encoded -> new Response(request.modelId, request.mode, request.texts, encoded)));
    }
  }
}
