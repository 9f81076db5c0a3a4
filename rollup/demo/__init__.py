"""The sample city the README's quick start runs on: a roster-wide split of 乐清's published 2019
city tables into one filled template per unit, and when each arrived."""
