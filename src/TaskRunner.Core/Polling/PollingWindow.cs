namespace TaskRunner;

/// <summary>A recurring time window in which a queue may be polled: it opens at each occurrence of
/// <see cref="Cron"/> and stays open for <see cref="Duration"/>.</summary>
/// <param name="Cron">A Cronos expression with 5 fields (minute precision) or 6 (leading seconds field).</param>
/// <param name="Duration">How long the window stays open after each occurrence, in elapsed time: a window that spans
/// a daylight-saving change is as long in real time as any other.</param>
public sealed record PollingWindow(string Cron, TimeSpan Duration);
