from django.db import migrations

ROUTINE = [
    {
        "order": 1,
        "name": "Pelvic tilt",
        "alt_name": "",
        "slug": "pelvic-tilt",
        "summary": (
            "A small, gentle rock of your hips that helps your lower back move more easily."
        ),
        "start_position": (
            "Lie on your back on a firm surface, like a mat on the floor. "
            "Bend your knees and put your feet flat. A pillow under your head is fine."
        ),
        "instructions": (
            "Breathe out and gently tighten your tummy.\n"
            "Tip your hips back so your lower back presses flat into the mat.\n"
            "Think of bringing the bone at the front of your hips up toward your belly "
            "button.\n"
            "Let your bottom lift only a tiny bit, if at all.\n"
            "Hold there and keep breathing slowly.\n"
            "Relax and let the small curve in your lower back come back."
        ),
        "feel": (
            "Your tummy muscles working and your lower back pressing softly into the floor. "
            "It should feel easy and calm."
        ),
        "avoid": (
            "Don't push hard with your legs or lift your bottom high. This move should never "
            "hurt: go to where it just starts to feel uncomfortable, then ease off a little. "
            "If it clearly makes your pain worse, stop and tell your physio."
        ),
        "sets": 1,
        "reps": 10,
        "hold_seconds": 5,
        "per_side": False,
        "rest_seconds": 0,
        "harder": "",
    },
    {
        "order": 2,
        "name": "Glute bridge",
        "alt_name": "",
        "slug": "glute-bridge",
        "summary": (
            "Makes your bottom muscles stronger, so they can take some of the load off your "
            "lower back."
        ),
        "start_position": (
            "Lie on your back with your arms by your sides. "
            "Bend your knees and put your feet flat on the floor."
        ),
        "instructions": (
            "Press your feet into the floor.\n"
            "Lift your hips until your shoulders, hips and knees make one straight line.\n"
            "Squeeze your bottom muscles hard at the top.\n"
            "Lower yourself back down slowly."
        ),
        "feel": (
            "Your bottom muscles and the backs of your thighs doing the work. "
            "Your back should feel supported, not strained."
        ),
        "avoid": (
            "Don't arch your back or push your hips higher than the straight line. "
            "Lift only as far as is comfortable, and come down a little if you reach the edge "
            "of pain. If the move clearly brings on more pain, stop it and let your physio know."
        ),
        "sets": 1,
        "reps": 10,
        "hold_seconds": 0,
        "per_side": False,
        "rest_seconds": 0,
        "harder": "When this feels easy, pause at the top for 2 to 5 seconds before you lower.",
    },
    {
        "order": 3,
        "name": "Dead bug",
        "alt_name": "",
        "slug": "dead-bug",
        "summary": (
            "Trains the deep tummy muscles that keep your back steady while your arms and "
            "legs move."
        ),
        "start_position": "Lie on your back with your knees bent and your feet on the floor.",
        "instructions": (
            "Start with a pelvic tilt: press your lower back flat and tighten your tummy.\n"
            "Keep your back flat the whole time.\n"
            "Reach one arm up over your head and lift the opposite leg, like right arm with "
            "left leg.\n"
            "Lower them back down slowly.\n"
            "Switch and do the other arm and leg."
        ),
        "feel": (
            "Your tummy muscles working to keep your back still and flat. "
            "It is a steady effort, not a strain."
        ),
        "avoid": (
            "Don't let your lower back lift or arch off the floor; if it does, make the move "
            "smaller. Work up to where it starts to feel uncomfortable, then back off a little. "
            "It should never hurt, so if it clearly adds to your pain, stop and tell your physio."
        ),
        "sets": 1,
        "reps": 5,
        "hold_seconds": 0,
        "per_side": True,
        "rest_seconds": 0,
        "harder": "",
    },
    {
        "order": 4,
        "name": "Single knee to chest",
        "alt_name": "",
        "slug": "single-knee-to-chest",
        "summary": "A gentle stretch for your lower back and bottom, one leg at a time.",
        "start_position": (
            "Lie on your back with your knees bent and your feet flat on the floor."
        ),
        "instructions": (
            "Lift one leg and hold your thigh with both hands, just by the knee.\n"
            "Gently draw your knee toward your chest.\n"
            "Stop when you feel a mild stretch, and hold it there.\n"
            "Keep breathing slowly while you hold.\n"
            "Let go, put your foot back down, and do the other leg."
        ),
        "feel": (
            "A mild stretch in your lower back and bottom. "
            "It should feel like a nice release, never pain."
        ),
        "avoid": (
            "Don't yank your knee in or hold your breath. Bring it in until you feel the first "
            "hint of discomfort, then let it ease back a little. If the stretch clearly makes "
            "your pain worse, stop and tell your physio."
        ),
        "sets": 1,
        "reps": 3,
        "hold_seconds": 30,
        "per_side": True,
        "rest_seconds": 0,
        "harder": "",
    },
    {
        "order": 5,
        "name": "Double knee to chest",
        "alt_name": "",
        "slug": "double-knee-to-chest",
        "summary": "Hugging both knees in gives your whole lower back a soft, rounded stretch.",
        "start_position": (
            "Lie on your back on a mat, with your knees bent and your feet on the floor."
        ),
        "instructions": (
            "Lift both legs and wrap your arms around your knees.\n"
            "Gently hug your knees in until your hips lift a little off the floor.\n"
            "Hold the hug and keep breathing slowly.\n"
            "Put your feet back down and rest for a few breaths before the next one."
        ),
        "feel": "A soft stretch across your lower back, as if your back is gently rounding.",
        "avoid": (
            "Don't pull hard or rock back and forth. Hug in only to the edge of discomfort, "
            "then loosen your hold a little, because this should not hurt. If your pain clearly "
            "goes up, stop this one and tell your physio."
        ),
        "sets": 1,
        "reps": 3,
        "hold_seconds": 30,
        "per_side": False,
        "rest_seconds": 0,
        "harder": "",
    },
    {
        "order": 6,
        "name": "Kneeling back stretch",
        "alt_name": "Child's pose",
        "slug": "kneeling-back-stretch",
        "summary": "A calm, resting stretch for your back and shoulders.",
        "start_position": (
            "Get on your hands and knees. "
            "Your knees go under your hips and your hands go under your shoulders."
        ),
        "instructions": (
            "Keep your hands where they are on the floor.\n"
            "Slowly sit your bottom back toward your heels.\n"
            "Let your head drop down toward the floor.\n"
            "Breathe slowly and hold the stretch.\n"
            "Come back up onto your hands and knees slowly."
        ),
        "feel": "A stretch along your back and across your shoulders. It should feel restful.",
        "avoid": (
            "Don't force your bottom down onto your heels if it won't go. Sink back only until "
            "it starts to feel uncomfortable, then come up a touch. A stretch is fine but pain "
            "is not: if this clearly makes your pain worse, stop and tell your physio."
        ),
        "sets": 1,
        "reps": 1,
        "hold_seconds": 30,
        "per_side": False,
        "rest_seconds": 0,
        "harder": "",
    },
    {
        "order": 7,
        "name": "Elbow cobra",
        "alt_name": "Sphinx",
        "slug": "elbow-cobra",
        "summary": (
            "A gentle backward bend that can ease stiffness in your back and stretch your tummy."
        ),
        "start_position": (
            "Lie on your front with your legs straight. "
            "Put your forearms flat on the floor and rest your forehead on the mat."
        ),
        "instructions": (
            "Press down through your forearms to lift your chest.\n"
            "Reach the top of your head up toward the ceiling.\n"
            "Keep your hips on the floor.\n"
            "Let your shoulders drop away from your ears.\n"
            "Hold there and keep breathing slowly.\n"
            "Lower your forehead to the mat and rest for a moment before the next one."
        ),
        "feel": "A gentle stretch along the front of your tummy and a light bend in your back.",
        "avoid": (
            "Don't lift your hips or hunch your shoulders up. Rise only to the point where it "
            "starts to feel uncomfortable, then lower a little. This should never be painful; "
            "if it clearly brings on more pain, stop and tell your physio."
        ),
        "sets": 1,
        "reps": 3,
        "hold_seconds": 30,
        "per_side": False,
        "rest_seconds": 0,
        "harder": "",
    },
    {
        "order": 8,
        "name": "Back curl",
        "alt_name": "Lower-trunk rotation",
        "slug": "back-curl",
        "summary": "Rolling your knees from side to side gently loosens your lower back and hips.",
        "start_position": (
            "Lie on your back with your hands on your chest. "
            "Bend your knees and put your feet flat on the floor."
        ),
        "instructions": (
            "Keep both shoulder blades on the floor.\n"
            "Let both knees roll slowly down to one side.\n"
            "Bring them back to the middle.\n"
            "Now let them roll down to the other side.\n"
            "Keep it smooth and slow, never forced."
        ),
        "feel": "A gentle twisting stretch in your lower back and hips.",
        "avoid": (
            "Don't push your knees down or let your shoulders lift. Roll only as far as is "
            "comfortable, and back off a little when you reach the edge of pain. Stop this move "
            "if it clearly hurts more, and tell your physio."
        ),
        "sets": 1,
        "reps": 5,
        "hold_seconds": 0,
        "per_side": True,
        "rest_seconds": 0,
        "harder": "",
    },
    {
        "order": 9,
        "name": "Bird-dog",
        "alt_name": "",
        "slug": "bird-dog",
        "summary": (
            "Builds strength and balance in your tummy, back and bottom while you stay steady."
        ),
        "start_position": (
            "Get on your hands and knees, with your knees under your hips and your hands under "
            "your shoulders."
        ),
        "instructions": (
            "Tighten your tummy so your back stays flat and does not arch.\n"
            "Lift one leg back and the opposite arm forward until they line up with your body.\n"
            "Keep your hips and shoulders level, and don't let your lower back sag.\n"
            "Lower them slowly.\n"
            "Switch to the other arm and leg."
        ),
        "feel": "Your tummy, back and bottom muscles working together to keep you steady.",
        "avoid": (
            "Don't lift your arm or leg higher than your body, and don't tip your hips. "
            "Reach only as far as feels okay, and ease back at the edge of discomfort. "
            "If your pain clearly gets worse, stop and tell your physio."
        ),
        "sets": 1,
        "reps": 5,
        "hold_seconds": 0,
        "per_side": True,
        "rest_seconds": 0,
        "harder": "When this feels easy, hold your arm and leg out for 2 to 5 seconds.",
    },
    {
        "order": 10,
        "name": "Prone opposite arm and leg raise",
        "alt_name": "",
        "slug": "prone-opposite-arm-and-leg-raise",
        "summary": (
            "Strengthens the muscles along your back and bottom while you lie on your front."
        ),
        "start_position": (
            "Lie on your front with your legs straight and your arms stretched straight out "
            "past your head."
        ),
        "instructions": (
            "Lift one arm and the opposite leg off the floor together.\n"
            "Lower them slowly back down.\n"
            "Now lift the other arm and leg.\n"
            "Keep swapping sides each time until the set is done.\n"
            "Rest for a short while before the next set."
        ),
        "feel": "Your back and bottom muscles working with a steady effort, but no pain.",
        "avoid": (
            "Don't fling your arm and leg up high or jerk them. Lift only as high as feels "
            "comfortable, and lower a little if you get near the edge of pain. If this move "
            "clearly makes your pain worse, stop and tell your physio."
        ),
        "sets": 3,
        "reps": 10,
        "hold_seconds": 0,
        "per_side": False,
        "rest_seconds": 30,
        "harder": "",
    },
]


def load_routine(apps, schema_editor):
    Exercise = apps.get_model("exercises", "Exercise")
    for data in ROUTINE:
        Exercise.objects.update_or_create(slug=data["slug"], defaults=data)


def unload_routine(apps, schema_editor):
    Exercise = apps.get_model("exercises", "Exercise")
    Exercise.objects.filter(slug__in=[d["slug"] for d in ROUTINE]).delete()


class Migration(migrations.Migration):
    dependencies = [("exercises", "0001_initial")]
    operations = [migrations.RunPython(load_routine, unload_routine)]
