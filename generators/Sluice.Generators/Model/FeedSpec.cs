namespace Sluice.Generators.Model;

/// <summary>
/// The cursor-feed part of a query: the method parameters holding the cursor and the page size, and the row member
/// the cursor advances from (the last row of each page).
/// </summary>
internal sealed record FeedSpec(string CursorParameter, string PageSizeParameter, string CursorMember);
