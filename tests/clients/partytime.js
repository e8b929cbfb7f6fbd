// Parse a feed with podcast-partytime (the Podcast Index's parser) and print what it saw as JSON.
// usage: node partytime.js FEED.xml
const fs = require("fs");
const pt = require("podcast-partytime");
const feed = pt.parseFeed(fs.readFileSync(process.argv[2], "utf8"));
if (!feed) {
  console.error("partytime could not parse the feed");
  process.exit(1);
}
console.log(JSON.stringify({
  title: feed.title,
  guid: feed.guid,
  locked: feed.locked,
  explicit: feed.explicit,
  categories: feed.categories,
  pc20support: feed.pc20support,
  // Podcasting 2.0 channel tags.
  funding: feed.podcastFunding,
  people: feed.podcastPeople,
  location: feed.podcastLocation,
  trailers: feed.trailers,
  license: feed.license,
  value: feed.value,
  images: feed.podcastImages,
  blocked: feed.podcastBlocked,
  blockedPlatforms: feed.podcastBlockedPlatforms,
  txt: feed.podcastTxt,
  podroll: feed.podroll,
  publisher: feed.podcastPublisher,
  medium: feed.medium,
  items: feed.items.map((i) => ({
    title: i.title,
    guid: i.guid,
    duration: i.duration,
    enclosure: i.enclosure,
    chapters: i.podcastChapters,
    season: i.podcastSeason,
    episode: i.podcastEpisode,
    itunesSeason: i.itunesSeason,
    itunesEpisode: i.itunesEpisode,
    itunesEpisodeType: i.itunesEpisodeType,
    soundbites: i.podcastSoundbites,
    people: i.podcastPeople,
    location: i.podcastLocation,
    license: i.license,
    alternateEnclosures: i.alternativeEnclosures,
    value: i.value,
    images: i.podcastImages,
    social: i.podcastSocialInteraction,
    txt: i.podcastTxt,
  })),
}));
