# lambdapress: every visitor-facing string, in English (Fluent syntax, projectfluent.org).
# es.ftl must hold the same ids with the same { $arguments } (a test checks both).
# Plain messages are resolved once per language; only those with a count are formatted
# per use. Owner content (posts, menu labels, site.toml text) is never translated.

## Dates

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
# "December 2, 2026"
date-long = { $month } { $day }, { $year }
# "December 2026" (archive)
month-year = { $month } { $year }
day-monday = Monday
day-tuesday = Tuesday
day-wednesday = Wednesday
day-thursday = Thursday
day-friday = Friday
day-saturday = Saturday
day-sunday = Sunday

## Every page: head, header, footer

skip-to-content = Skip to content
notice-label = Notice
menu-main-label = Main
menu-toggle = Menu
search-label = Search
search-placeholder = Search posts and pages
search-button = Search
feeds-label = Feeds
feed-posts-rss = Posts RSS
feed-posts-atom = Posts Atom
feed-posts-json = Posts JSON Feed
feed-comments-rss = Comments RSS
opening-hours = Opening hours
book-appointment = Book an appointment
honeypot-label = Leave this field empty
email-placeholder = you@example.com
subscribe-box-heading = Like what you read? Subscribe below!
subscribe-email-label = Email address
subscribe-button = Subscribe
home-link = Go to the home page
back-to-site = Back to the site
tags-label = Tags

## Articles and comments

post-updated = Updated
reading-time = { $minutes } min read
comment-count = { $count ->
    [one] { $count } comment
   *[other] { $count } comments
}
comments-heading = Comments
comments-empty = No comments yet.
comment-reply = Reply
comment-pages-label = Comment pages
comments-older = ← Older comments
comments-newer = Newer comments →
comments-newest = Newest comments
comment-page-of = Comment page { $page } of { $pages }
comment-reply-to = Reply to { $name }
comment-cancel-reply = Cancel reply
comment-leave = Leave a comment
comment-notes-private = Your email address will not be published.
comment-notes-markdown = You can use *emphasis*, `code`, > quotes, lists and [links](https://example.com).
comment-body-label = Comment
form-name-label = Name
comment-email-label = Email (never shown)
comment-website-label = Website (optional)
comment-submit = Post comment
comments-closed = Comments are closed.
moderation-note-all = Comments are checked before they appear.
moderation-note-first = A first comment is checked before it appears.
comment-held = Thank you! Your comment is awaiting moderation.
comment-published = Thank you! Your comment is published.
comment-held-owner-not-told = Thank you! Your comment is saved and awaiting moderation. We could not email the site's owner about it, so it may take longer than usual to appear.

## Pages: contact form and business card

contact-heading = Send us a message
contact-sent = Thank you! Your message is sent; we will reply to the address you gave.
contact-sent-short = Thank you! Your message is sent.
contact-email-label = Email (we reply here)
contact-message-label = Message
contact-notes = Your message is mailed to us and not kept on this site.
contact-submit = Send message
business-heading = Visit or call
business-map = Open in a map

## Listings, topics, archive

latest-posts = Latest posts
no-posts = No posts yet.
tag-heading = Posts tagged “{ $tag }”
tag-description = Posts about { $tag } from { $site }
month-heading = Posts from { $month }
month-description = Posts from { $month } at { $site }
title-page = { $title } – Page { $page }
heading-page = { $heading } – page { $page }
pages-label = Pages
newer-posts = ← Newer posts
older-posts = Older posts →
topics-heading = Topics
topics-description = Every topic { $site } writes about
post-count = { $count ->
    [one] { $count } post
   *[other] { $count } posts
}
archive-all-months = All posts by month
archive-heading = Archive
archive-description = Every post of { $site }, by month
archive-all-topics = All topics

## Search

search-heading = Search
search-title-query = Search: { $query }
search-description = Search the posts and pages of { $site }
search-not-ready = Search is not ready yet. Please try again in a few minutes.
search-nothing = Nothing matches “{ $query }”. Try fewer or different words, or browse
search-topics-link = the topics
search-count = { $count ->
    [one] { $count } result for “{ $query }”
   *[other] { $count } results for “{ $query }”
}
search-count-page = – page { $page }
search-pages-label = Result pages
search-previous = ← Previous results
search-more = More results →
search-too-long = Your search is too long. Please use at most { $max } characters.
search-too-many-words = Your search has too many words. Please use at most { $max }.
search-bad-page = The page number must be a whole number from 1 to { $max }.

## Site errors

error-not-found = Page not found
error-not-found-text = There is no page at this address. It may have moved, or the link may be mistyped.
error-bad-comment-page = Bad comment page
error-bad-comment-page-text = The comment page in this address is not a page number. Comment pages are numbered from 1.
error-method = Method not allowed
error-method-get-text = This address only answers GET and HEAD requests.
error-method-text = This address does not answer that kind of request.
error-too-large = File too large
error-too-large-text = This file is too large for the site to serve. Please let the site's owner know.
error-unavailable = Temporarily unavailable
error-unavailable-text = The site cannot load this page right now. Please try again in a minute.
error-form-unreadable = The form could not be read. Please go back and try again.
error-form-type = Send the form as application/x-www-form-urlencoded or application/json.
error-fields = Some fields need attention.
error-no-page-text = There is no page at this address.

## Form fields

field-name-missing = Please enter your name.
field-name-too-long = Your name can be at most { $max } characters.
field-name-not-plain = Your name must be plain text on one line.
field-email-missing = Please enter your email address (it is never shown).
field-email-too-long = An email address can be at most { $max } characters.
field-email-invalid = Please enter an email address like name@example.com.
field-website-too-long = A website address can be at most { $max } characters.
field-website-invalid = A website must be an address starting with http:// or https://.
field-comment-missing = Please write a comment.
field-comment-too-long = A comment can be at most { $max } characters.
field-comment-hidden = The comment contains invisible control characters.
field-message-missing = Please write your message.
field-message-too-long = A message can be at most { $max } characters.
field-message-hidden = The message contains invisible control characters.
field-parent-elsewhere = The comment you replied to is not on this post.
field-not-a-comment = This is not a comment of this site.

## Comment errors

comment-error-check = Please check your comment
comment-error-not-sent = Comment not sent
comment-error-too-long = The comment is too long.
comment-error-no-post = Post not found
comment-error-no-post-text = There is no post at this address to comment on.
comment-error-closed-text = This post no longer takes comments.
comment-error-slow = Slow down
comment-error-slow-text = You are posting comments too quickly. Please wait a few seconds and try again.
comment-error-repeat = Duplicate comment
comment-error-repeat-text = It looks as though you have already said that.
comment-error-unavailable-text = The comment could not be handled right now. Please try again in a minute.

## Moderation (the owner's links)

moderate-heading = Moderate a comment
moderate-press = Press “{ $button }” to confirm.
moderate-on = On
moderate-approve = Approve this comment
moderate-spam = Mark as spam
moderate-delete = Delete this comment
moderate-approved = Comment approved
moderate-spammed = Comment marked as spam
moderate-deleted = Comment deleted
moderate-go-to-post = Go to the post
moderate-status-pending = pending
moderate-status-approved = approved
moderate-status-spam = spam
moderate-bad-link = Link not valid
moderate-bad-link-text = This moderation link is damaged or has expired. Use a newer mail or the command line.
moderate-bad-action = Unknown action
moderate-bad-action-text = A comment can be approved, marked as spam or deleted.
moderate-gone = Comment not found
moderate-gone-text = This comment has already been deleted.
moderate-used = Link already used
moderate-used-text = This comment was moderated after this mail was sent, and each link works once. Its current state shows on the post; use the command line to change it again.
moderate-meanwhile = Already moderated
moderate-meanwhile-text = Another moderation link for this comment was used at the same moment and was applied first; this one changed nothing. The comment's current state shows on the post.

## Contact errors and the mail to the owner

contact-error-check = Please check your message
contact-error-not-sent = Message not sent
contact-error-too-long = The message is too long.
contact-error-no-form = There is no contact form at this address.
contact-error-slow-text = You sent a message a moment ago. Please wait a minute before sending another.
contact-error-mail-text = Your message could not be sent right now. Please try again in a few minutes, or call us.
contact-error-unavailable-text = The message could not be handled right now. Please try again in a minute.
contact-mail-subject = Message from { $name } – { $site }
contact-mail-intro = { $name } <{ $email }> wrote through the contact form on { $url }:
contact-mail-footer = Reply to this mail to answer { $name }. The message is not kept on the site.

## Subscriptions

subscribe-title-fallback = this site
subscribe-confirm-heading = Confirm your subscription
subscribe-confirm-text = Press the button to start receiving new posts by email.
subscribe-confirm-button = Confirm subscription
subscribe-ended-heading = This subscription has ended
subscribe-ended-text = This address was unsubscribed after the link was sent. To subscribe again, sign up below.
unsubscribe-heading = Unsubscribe
unsubscribe-text = Press the button to stop receiving posts by email.
unsubscribe-button = Unsubscribe
unsubscribed-heading = You are unsubscribed
unsubscribed-text = You will get no more posts by email. Changed your mind? Sign up again any time.
subscribe-heading = Subscribe
subscribe-text = Get new posts by email. You can unsubscribe with one click from any message.
subscribe-thanks-heading = Almost done: check your inbox
subscribe-thanks-text = Unless this address is subscribed already, we have sent it a message with a link. Open the link and press Confirm to finish subscribing.
subscribed-heading = You are subscribed
subscribed-text = Thank you! New posts will arrive in your inbox. Every message has a link to unsubscribe.
subscribe-accepted = Check your inbox for a confirmation link.
subscribe-error-email = Please check your email address
subscribe-error-email-text = The address below cannot receive mail as written.
subscribe-error-form = Something went wrong with the form
subscribe-error-rate = Too many signups
subscribe-error-rate-text = { $minutes ->
    [one] Too many signups came from your network in a short time. Please try again in a minute.
   *[other] Too many signups came from your network in a short time. Please try again in { $minutes } minutes.
}
subscribe-error-expired = This link has expired
subscribe-error-expired-text = Links in our emails only work for a limited time. Sign up again below to get a fresh one.
subscribe-error-old-key = This link is too old
subscribe-error-old-key-text = The site has changed the key its links are signed with since this link was sent. Please sign up again below to get a fresh link.
subscribe-error-bad-link = This link does not work
subscribe-error-bad-link-text = The link is incomplete or was not sent by this site. Please use the link exactly as it appears in the email, or sign up again below.
subscribe-error-mail = We could not send your confirmation email
subscribe-error-mail-text = Our mail service did not accept the message, so nothing was sent and you are not subscribed yet. Please try again in a few minutes.
subscribe-error-unavailable-text = We could not complete your request right now. Please try again in a minute.
subscriber-email-empty = Please enter your email address.
subscriber-email-too-long = That address is too long (at most { $max } characters).
subscriber-email-missing-at = That does not look like an email address: it needs one @, like name@example.com.
subscriber-email-bad-local = The part before the @ must be 1 to { $max } characters.
subscriber-email-bad-domain = The part after the @ must be a domain with a dot, like example.com.
subscriber-email-bad-character = Email addresses cannot contain spaces, quotes or brackets.

## Mails to subscribers

confirm-mail-subject = Confirm your subscription to { $site }
confirm-mail-greeting = Hello,
confirm-mail-asked = Someone (hopefully you) asked to receive new posts from { $site } at this address.
confirm-mail-open = To confirm, open this link within { $hours } hours and press the Confirm button:
confirm-mail-ignore = If you did not ask for this, ignore this message: nothing more will be sent unless you confirm.
mail-unsubscribe-line = Unsubscribe: { $url }
newsletter-read-on-site = Read on the site
newsletter-why = You receive this because you subscribed to new posts at { $url }.
newsletter-unsubscribe = Unsubscribe
newsletter-unsubscribe-one-click = with one click.
digest-subject = { $count ->
    [one] { $site }: { $count } new post
   *[other] { $site }: { $count } new posts
}

## Feeds and the table of contents

toc-title = Contents
feed-comments-title = Comments for { $site }
feed-comments-description = The newest comments on { $site }
feed-post-comments-title = Comments on: { $post }
feed-post-comments-description = Comments on “{ $post }” at { $site }
feed-comment-item-title = Comment on { $post } by { $author }

## The owner's mail for a held comment

owner-mail-subject = Please moderate: “{ $post }”
owner-mail-waiting = A new comment on “{ $post }” is waiting for your approval.
owner-mail-author = Author
owner-mail-email = Email
owner-mail-website = Website
owner-mail-approve = Approve it
owner-mail-spam = Mark it as spam
owner-mail-delete = Delete it
owner-mail-notes = Each link opens a page with a button; nothing changes until you press it.
    Each link works once and for 7 days.
