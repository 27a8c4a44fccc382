package dev.prosper.training.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;

/** The k best-scoring items of a score array; ties go to the lower index. */
final class TopK {

  private TopK() {}

  static int[] best(float[] scores, int[] candidates, int candidateCount, int k) {
    PriorityQueue<Integer> heap =
        new PriorityQueue<>(
            (a, b) ->
                scores[a] != scores[b]
                    ? Float.compare(scores[a], scores[b])
                    : Integer.compare(b, a));
    for (int i = 0; i < candidateCount; i++) {
      int doc = candidates[i];
      heap.add(doc);
      if (heap.size() > k) {
        heap.poll();
      }
    }
    List<Integer> kept = new ArrayList<>(heap);
    kept.sort(
        (a, b) ->
            scores[a] != scores[b] ? Float.compare(scores[b], scores[a]) : Integer.compare(a, b));
    int[] out = new int[kept.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = kept.get(i);
    }
    return out;
  }

  static List<Retriever.Scored> scored(int[] docs, float[] scores, List<String> ids) {
    List<Retriever.Scored> out = new ArrayList<>(docs.length);
    for (int doc : docs) {
      out.add(new Retriever.Scored(ids.get(doc), scores[doc]));
    }
    return Collections.unmodifiableList(out);
  }

  static List<String> ids(int[] docs, List<String> ids) {
    List<String> out = new ArrayList<>(docs.length);
    for (int doc : docs) {
      out.add(ids.get(doc));
    }
    return Collections.unmodifiableList(out);
  }
}
