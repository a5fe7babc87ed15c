package io.batchinfer.udfs.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Softmax, argmax and top-k on class-score vectors, against values derived by hand. */
class ClassScoresTest {
  @Test
  void topKOrdersByScoreThenIndexWithNanLast() {
    // 0.5 at 1 and 3 (tie: lower index first), then 0.2 at 4; NaN at 2 ranks below everything.
    double[] v = {0.1, 0.5, Double.NaN, 0.5, 0.2};
    assertThat(ClassScores.topK(v, 3)).containsExactly(1, 3, 4);
    assertThat(ClassScores.topK(v, 5)).containsExactly(1, 3, 4, 0, 2);
    assertThat(ClassScores.topK(v, 9)).hasSize(5);
  }

  @Test
  void selectionAndSortAgreeForLargeK() {
    Random random = new Random(5);
    double[] v = new double[200];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextInt(50); // many ties
    }
    int[] small = ClassScores.topK(v, 32); // selection path
    int[] large = ClassScores.topK(v, 200); // sort path
    for (int i = 0; i < small.length; i++) {
      assertThat(small[i]).isEqualTo(large[i]);
    }
  }

  @Test
  void argmaxSkipsNanAndSoftmaxIsStable() {
    assertThat(ClassScores.argmax(new double[] {Double.NaN, 1, 3, 3})).isEqualTo(2);
    assertThat(ClassScores.argmax(new double[] {Double.NaN})).isEqualTo(-1);
    // softmax(1000, 1000 + ln 3) = (1/4, 3/4): stable despite exp(1000) overflowing a double.
    double[] v = {1000, 1000 + Math.log(3)};
    ClassScores.softmaxInPlace(v);
    assertThat(v[0]).isCloseTo(0.25, within(1e-12));
    assertThat(v[1]).isCloseTo(0.75, within(1e-12));
  }
}
