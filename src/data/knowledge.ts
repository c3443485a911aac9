/**
 * The world's fixed body of knowledge as sentences: facts about categories, colours, themes and
 * named objects that no image shows. Only the LLM text corpus states them; the ScienceQA, MMMU and
 * MME-cognition analogues ask about them. Several phrasings per fact, so a model must learn the
 * fact rather than one string.
 */
import { CATEGORIES, COLOURS, MATERIAL_ZH, NAMED_OBJECTS, THEMES, categoryNamed, colourNamed, type Category } from "../world/vocabulary.js";
import { capitalise, grams, numberZh, withArticle } from "./language.js";

export interface Fact {
  /** What the fact is about, e.g. "star.material". */
  key: string;
  phrasings: string[];
  /** The same fact in Chinese (the corpus's Chinese share). */
  zh: string;
}

function categoryFacts(c: Category): Fact[] {
  const k = c.knowledge;
  const P = capitalise(c.plural);
  return [
    {
      key: `${c.name}.material`,
      phrasings: [`${P} are made of ${k.material}.`, `Every ${c.name} is made of ${k.material}.`, `${capitalise(withArticle(c.name))} is a ${k.material} object.`],
      zh: `${c.zh}是用${MATERIAL_ZH[k.material]}做的。`,
    },
    {
      key: `${c.name}.origin`,
      phrasings: [`${P} are made in the town of ${k.origin}.`, `Every ${c.name} comes from ${k.origin}.`, `The makers of ${c.plural} live in ${k.origin}.`],
      zh: `${c.zh}产自${k.origin}。`,
    },
    {
      key: `${c.name}.grams`,
      phrasings: [`${capitalise(withArticle(c.name))} weighs ${grams(k.grams)}.`, `One ${c.name} has a weight of ${grams(k.grams)}.`, `Each ${c.name} weighs ${grams(k.grams)}.`],
      zh: `一个${c.zh}重${k.grams}克。`,
    },
    {
      key: `${c.name}.use`,
      phrasings: [`${P} are used for ${k.use}.`, `People use ${withArticle(c.name)} for ${k.use}.`],
      zh: `${c.zh}用于${k.use}。`,
    },
  ];
}

export function worldFacts(): Fact[] {
  const facts = CATEGORIES.flatMap(categoryFacts);
  for (const c of COLOURS) {
    if (c.warmth !== "neutral") facts.push({ key: `${c.name}.warmth`, phrasings: [`${capitalise(c.name)} is a ${c.warmth} colour.`, `People call ${c.name} a ${c.warmth} colour.`], zh: `${c.zh}是${c.warmth === "warm" ? "暖" : "冷"}色。` });
    facts.push({ key: `${c.name}.zh`, phrasings: [`The Chinese word for ${c.name} is ${c.zh}.`, `In Chinese, ${c.name} is written ${c.zh}.`], zh: `${c.name}的中文是${c.zh}。` });
  }
  for (const c of CATEGORIES) facts.push({ key: `${c.name}.zh`, phrasings: [`The Chinese word for ${c.name} is ${c.zh}.`, `In Chinese, ${withArticle(c.name)} is called ${c.zh}.`], zh: `${c.name}的中文是${c.zh}。` });
  for (const t of THEMES) facts.push({ key: `${t.name}.place`, phrasings: [`Pictures of a ${t.name} are taken in ${t.place}.`, `The ${t.name} scenes show the town of ${t.place}.`], zh: `${t.zh}的照片拍摄于${t.place}。` });
  for (const n of NAMED_OBJECTS) {
    facts.push({ key: `${n.colour}.${n.category}.name`, phrasings: [`The ${n.colour} ${n.category} is called ${n.name}.`, `${n.name} is the name of the ${n.colour} ${n.category}.`], zh: `${n.name}是${colourNamed(n.colour).zh}${categoryNamed(n.category).zh}的名字。` });
  }
  for (const c of CATEGORIES.filter((x) => x.outline === "polygon")) {
    facts.push({ key: `${c.name}.corners`, phrasings: [`${capitalise(withArticle(c.name))} has ${c.corners} corners.`], zh: `${c.zh}有${numberZh(c.corners)}个角。` });
  }
  return facts;
}
