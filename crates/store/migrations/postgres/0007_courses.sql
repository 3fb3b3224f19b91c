-- Course posts, their bookmarks, star ratings and views, and comments with replies for
-- meetups and courses (postgres twin of migrations/sqlite/0007_courses.sql).

CREATE TABLE courses (
    id UUID PRIMARY KEY,
    author_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    -- 1-9 from the first word of the address, 0 when unknown
    region BIGINT NOT NULL,
    -- JSON list of [lat, lng] points (at least two)
    route TEXT NOT NULL,
    -- haversine length of the route, computed by the server
    distance_m BIGINT NOT NULL,
    -- estimated time as a duration (the reference stored text in a date column)
    duration_min BIGINT NOT NULL,
    theme TEXT NOT NULL,
    -- comma-separated media hashes (1-3)
    images TEXT NOT NULL,
    parking TEXT NOT NULL DEFAULT '',
    baggage TEXT NOT NULL DEFAULT '',
    -- counters kept in the same transaction as the row they count, so list sorts need no join
    bookmark_count BIGINT NOT NULL DEFAULT 0,
    rating_sum BIGINT NOT NULL DEFAULT 0,
    rating_count BIGINT NOT NULL DEFAULT 0,
    -- rating_sum * 1000 / rating_count, the "rating" sort key
    rating_avg_milli BIGINT NOT NULL DEFAULT 0,
    view_count BIGINT NOT NULL DEFAULT 0,
    comment_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT courses_counts_check CHECK (bookmark_count >= 0 AND rating_count >= 0
        AND view_count >= 0 AND comment_count >= 0)
);
CREATE INDEX courses_created_idx ON courses (created_at, id);
CREATE INDEX courses_author_idx ON courses (author_id, created_at);
CREATE INDEX courses_region_idx ON courses (region, created_at);
CREATE INDEX courses_rating_idx ON courses (rating_avg_milli, id);
CREATE INDEX courses_views_idx ON courses (view_count, id);
CREATE INDEX courses_comments_idx ON courses (comment_count, id);
CREATE INDEX courses_bookmarks_idx ON courses (bookmark_count, id);

-- One bookmark per user and course (the primary key makes a double bookmark impossible).
CREATE TABLE course_bookmarks (
    course_id UUID NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_bookmarks_user_idx ON course_bookmarks (user_id, created_at);

-- One rating per user and course; rating again changes it.
CREATE TABLE course_ratings (
    course_id UUID NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stars BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (course_id, user_id),
    CONSTRAINT course_ratings_stars_check CHECK (stars BETWEEN 1 AND 5)
);

-- A view counts once per signed-in user.
CREATE TABLE course_views (
    course_id UUID NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    viewed_at BIGINT NOT NULL,
    PRIMARY KEY (course_id, user_id)
);

-- Comments on a meetup or a course (exactly one of the two), with one level of replies.
-- Deleting keeps the row (deleted_at) so the replies under it stay readable.
CREATE TABLE comments (
    id UUID PRIMARY KEY,
    meetup_id UUID REFERENCES meetups (id) ON DELETE CASCADE,
    course_id UUID REFERENCES courses (id) ON DELETE CASCADE,
    parent_id UUID REFERENCES comments (id) ON DELETE CASCADE,
    -- NULL once the author deleted their account: the text is wiped, replies stay readable
    author_id UUID REFERENCES users (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT,
    CONSTRAINT comments_object_check CHECK ((meetup_id IS NULL) <> (course_id IS NULL))
);
CREATE INDEX comments_meetup_idx ON comments (meetup_id, created_at, id);
CREATE INDEX comments_course_idx ON comments (course_id, created_at, id);
CREATE INDEX comments_parent_idx ON comments (parent_id, created_at, id);
