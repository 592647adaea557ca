// "Comment on A1" and "Reply" links open their form in place: a copy of the page's one <template> form,
// instead of the server sending a form for every question. Without JavaScript the link asks the server for
// the page with that form open (?comment=A1, ?reply=12).
const QUESTION_ID = /^[A-Za-z0-9_-]*$/;
const COMMENT_ID = /^[0-9]*$/;
document.querySelectorAll("a.comment-opener").forEach((link) => {
  link.addEventListener("click", (event) => {
    const question = link.dataset.commentQuestion || "";
    const parent = link.dataset.commentParent || "";
    // A reply in a thread addressed to the applicant has its own form, which says the team will read it.
    const template = document.getElementById(
      link.dataset.commentTemplate || (parent ? "reply-form-template" : "comment-form-template"));
    // Anything unexpected: leave it to the link, which works without this script.
    if (!template || !QUESTION_ID.test(question) || !COMMENT_ID.test(parent)) { return; }
    event.preventDefault();
    const html = template.innerHTML
      .replaceAll("c-__QUESTION__", "c-" + (question || "general"))
      .replaceAll("__QUESTION__", question)
      .replaceAll("__PARENT__", parent);
    link.insertAdjacentHTML("afterend", html);
    const form = link.nextElementSibling;
    link.hidden = true;
    form.querySelector("textarea").focus();
  });
});
