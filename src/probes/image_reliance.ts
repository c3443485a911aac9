/**
 * Does a trained pairing look at the image? Its stage-2 loss on conversations about validation scenes
 * with each conversation's own image, and again with the images rotated among the conversations (every
 * conversation gets another scene's features). A model that answers from the question alone scores
 * the same both ways; the gap, in nats per supervised token, is what the image is worth to it. This
 * is the "shuffled image features" check of DESIGN.md's calibration facts, and the first thing to read
 * when a benchmark sits at its text-only baseline.
 */
import * as tf from "@tensorflow/tfjs";
import type { LlavaModel } from "../models/llava/llava.js";
import type { StageSample } from "../train/llava_stages.js";
import type { FeatureStore } from "../data/feature_cache.js";

export interface ImageReliance {
  /** Mean loss with each conversation's own image. */
  ownImage: number;
  /** Mean loss with the images rotated among the conversations of a batch. */
  otherImage: number;
  /** otherImage − ownImage: > 0 when the model uses the image. */
  gap: number;
  samples: number;
}

/**
 * Measured on the samples with an image (text-only ones say nothing about looking), in batches of
 * `batchSize` whose images are rotated by half a batch, so no conversation keeps its own scene.
 */
export async function imageReliance(model: LlavaModel, samples: readonly StageSample[], features: Pick<FeatureStore, "batch">, batchSize = 32): Promise<ImageReliance> {
  const withImage = samples.filter((s) => s.image >= 0);
  if (withImage.length < 2) throw new Error(`image reliance: needs at least 2 samples with an image, got ${withImage.length}`);
  let own = 0;
  let other = 0;
  let weight = 0;
  for (let start = 0; start + 1 < withImage.length; start += batchSize) {
    const batch = withImage.slice(start, start + batchSize);
    if (batch.length < 2) break;
    const images = batch.map((s) => s.image);
    const shift = Math.max(1, Math.floor(batch.length / 2));
    const rotated = images.map((_, i) => images[(i + shift) % images.length]!);
    const [a, b] = tf.tidy(() => [model.loss(batch, features.batch(images)), model.loss(batch, features.batch(rotated))]);
    own += (await a!.data())[0]! * batch.length;
    other += (await b!.data())[0]! * batch.length;
    weight += batch.length;
    tf.dispose([a!, b!]);
  }
  return { ownImage: own / weight, otherImage: other / weight, gap: (other - own) / weight, samples: weight };
}
