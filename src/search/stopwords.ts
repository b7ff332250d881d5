/**
 * English stopwords dropped by the analyzer: the 33 words of Lucene's `EnglishAnalyzer` (what
 * BM25 baselines such as Anserini's BEIR runs use) plus the other pronouns, auxiliaries,
 * determiners and question words. Those extra words carry next to no weight under BM25 anyway
 * (idf ≈ 0), but their posting lists are the longest in the index, so dropping them keeps the
 * index smaller and questions ("what does …", "how did …") cheap to score. Negations ("no",
 * "not", "nor") stay stopped as in Lucene: bag-of-words scoring cannot use them.
 * Checked against the analyzer's lowercase, unstemmed, apostrophe-free token.
 */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  `a an and are as at be but by for if in into is it no not of on or such that the their then
  there these they this to was will with
  am been being did do does doing had has have having were
  i me my mine myself we us our ours ourselves you your yours yourself yourselves
  he him his himself she her hers herself its itself them theirs themselves
  what which who whom whose when where why how
  those than so too very can could would should shall may might must
  from about over under again further once here all any both each few more most other some own
  same only nor just also
  s t d ll m re ve`
    .split(/\s+/)
    .filter(Boolean),
);
