"""How the victims' pages count what a case protects, in the page's language, with proper
plurals ("1 image", "2 images and 1 video"). static/js/case-new.js words it the same way."""

from django.utils.translation import gettext, ngettext


def images_and_videos(*, images: int, videos: int) -> str:
    image_part = ngettext("%(count)d image", "%(count)d images", images) % {"count": images}
    video_part = ngettext("%(count)d video", "%(count)d videos", videos) % {"count": videos}
    if images and videos:
        return gettext("%(images)s and %(videos)s") % {"images": image_part, "videos": video_part}
    if videos:
        return video_part
    return image_part
