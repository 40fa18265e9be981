namespace Keel.Core.Tracking;

/// <summary>Names for runs created without one, in MLflow's `adjective-noun-NNN` shape.</summary>
public static class RunNameGenerator
{
    private static readonly string[] Adjectives =
    [
        "able", "agile", "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring",
        "eager", "fair", "fast", "gentle", "glad", "golden", "grand", "honest", "humble", "keen",
        "kind", "lively", "lucky", "merry", "mighty", "neat", "nimble", "noble", "polite", "proud",
        "quick", "quiet", "rare", "royal", "shy", "silent", "sleek", "smart", "steady", "sunny",
        "swift", "tidy", "vast", "warm", "wise", "witty", "young", "zesty",
    ];

    private static readonly string[] Nouns =
    [
        "ant", "bass", "bear", "bee", "bird", "boar", "carp", "cat", "colt", "crab",
        "crow", "deer", "doe", "dove", "eel", "elk", "finch", "fox", "frog", "goat",
        "hare", "hawk", "horse", "jay", "lark", "lion", "lynx", "mole", "moth", "mouse",
        "newt", "owl", "ox", "panda", "pike", "ram", "robin", "seal", "shark", "sloth",
        "snail", "squid", "stork", "swan", "tern", "toad", "trout", "wasp", "whale", "wolf",
    ];

    public static string Next(Random random) =>
        $"{Adjectives[random.Next(Adjectives.Length)]}-{Nouns[random.Next(Nouns.Length)]}-{random.Next(1000)}";
}
